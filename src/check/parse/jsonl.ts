// PURE. etcd-lab's own history format (history.jsonl of a chaos run): one Operation (history.ts) a line, as JSON.
import { LabError } from '../../errors.js';
import type { RegisterInput, RegisterOperation, RegisterOutput } from '../history.js';

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseJsonl(text: string, file = 'history.jsonl'): RegisterOperation[] {
  const ops: RegisterOperation[] = [];
  const ids = new Set<number>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const bad = (what: string): never => {
      throw new LabError('BAD_HISTORY', `${file}:${n + 1}: expected ${what}, got ${JSON.stringify(line.length > 100 ? `${line.slice(0, 100)}…` : line)}`, {
        hint: 'each line of a history.jsonl is one operation: {"id":1,"client":"c1","input":{"f":"put","key":"k","value":"v"},"invoke":12.5,"return":14.1,"outcome":"ok","output":{"f":"put"}}',
      });
    };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return bad('a JSON object');
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('a JSON object');
    if (!isNum(o.id)) return bad('"id" (a number)');
    if (ids.has(o.id)) return bad(`a unique "id" (${o.id} was used before)`);
    ids.add(o.id);
    if (!isStr(o.client)) return bad('"client" (a string)');
    if (!isNum(o.invoke)) return bad('"invoke" (ms, a number)');
    if (o.outcome !== 'ok' && o.outcome !== 'fail' && o.outcome !== 'unknown') return bad('"outcome": "ok", "fail" or "unknown"');
    const input = readInput(o.input) ?? bad('"input": {"f":"get","key":…}, {"f":"put","key":…,"value":…} or {"f":"cas","key":…,"expect":…|null,"value":…}');
    const op: RegisterOperation = { id: o.id, client: o.client, input, invoke: o.invoke, outcome: o.outcome };
    if (isStr(o.member)) op.member = o.member;
    if (isStr(o.revision)) op.revision = o.revision;
    if (isStr(o.error)) op.error = o.error;
    if (o.return !== undefined) {
      if (!isNum(o.return) || o.return < o.invoke) return bad('"return" (ms, a number not before "invoke")');
      op.return = o.return;
    }
    if (o.outcome === 'ok') {
      if (op.return === undefined) return bad('"return" on an ok operation');
      op.output = readOutput(o.output, input) ?? bad(`"output" for an ok ${input.f} (${outputShape(input)})`);
    }
    ops.push(op);
  }
  return ops;
}

function readInput(v: unknown): RegisterInput | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const i = v as Record<string, unknown>;
  if (!isStr(i.key)) return undefined;
  if (i.f === 'get') return { f: 'get', key: i.key };
  if (i.f === 'put' && isStr(i.value)) return { f: 'put', key: i.key, value: i.value };
  if (i.f === 'cas' && isStr(i.value) && (isStr(i.expect) || i.expect === null)) return { f: 'cas', key: i.key, expect: i.expect, value: i.value };
  return undefined;
}

function readOutput(v: unknown, input: RegisterInput): RegisterOutput | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.f !== input.f) return undefined;
  if (input.f === 'get') return isStr(o.value) || o.value === null ? { f: 'get', value: o.value } : undefined;
  if (input.f === 'put') return { f: 'put' };
  return typeof o.succeeded === 'boolean' ? { f: 'cas', succeeded: o.succeeded } : undefined;
}

const outputShape = (i: RegisterInput): string =>
  i.f === 'get' ? '{"f":"get","value":"…"|null}' : i.f === 'put' ? '{"f":"put"}' : '{"f":"cas","succeeded":true|false}';
