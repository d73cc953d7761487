// PURE. A run.json read back (etcd-lab report DIR): checked field by field, so a hand-edited or truncated file
// is refused with the path of the first bad field (e.g. `operations[12].outcome`) rather than drawn wrongly.
import { LabError } from '../errors.js';
import type { RunReport } from './types.js';

type Check = (v: unknown, path: string) => string | null;

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
};
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `${p} must be a number, got ${show(v)}`);
const str: Check = (v, p) => (typeof v === 'string' ? null : `${p} must be a string, got ${show(v)}`);
const strOrNull: Check = (v, p) => (v === null || typeof v === 'string' ? null : `${p} must be a string or null, got ${show(v)}`);
const numOrNull: Check = (v, p) => (v === null ? null : num(v, p));
const optional = (c: Check): Check => (v, p) => (v === undefined ? null : c(v, p));
const oneOf = (...xs: string[]): Check => (v, p) => (typeof v === 'string' && xs.includes(v) ? null : `${p} must be one of ${xs.join(', ')}, got ${show(v)}`);
const strings: Check = (v, p) => (Array.isArray(v) ? v.map((x, i) => str(x, `${p}[${i}]`)).find((e) => e !== null) ?? null : `${p} must be an array of strings, got ${show(v)}`);

function object(fields: Record<string, Check>): Check {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p || 'the whole file'} must be an object, got ${show(v)}`;
    for (const [k, c] of Object.entries(fields)) {
      const e = c((v as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      if (e) return e;
    }
    return null;
  };
}

function array(item: Check): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array, got ${show(v)}`;
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return null;
  };
}

const input: Check = (v, p) => {
  const f = (v as { f?: unknown } | null)?.f;
  if (f === 'get') return object({ key: str })(v, p);
  if (f === 'put') return object({ key: str, value: str })(v, p);
  if (f === 'cas') return object({ key: str, expect: strOrNull, value: str })(v, p);
  return `${p}.f must be one of get, put, cas, got ${show(f)}`;
};

const output: Check = (v, p) => {
  const f = (v as { f?: unknown } | null)?.f;
  if (f === 'get') return object({ value: strOrNull })(v, p);
  if (f === 'put') return null;
  if (f === 'cas') return typeof (v as { succeeded?: unknown }).succeeded === 'boolean' ? null : `${p}.succeeded must be true or false`;
  return `${p}.f must be one of get, put, cas, got ${show(f)}`;
};

const operation = object({
  id: num,
  client: str,
  member: optional(str),
  input,
  invoke: num,
  return: optional(num),
  outcome: oneOf('ok', 'fail', 'unknown'),
  output: optional(output),
  revision: optional(str),
  error: optional(str),
});

const runReport = object({
  meta: object({ command: str, seed: optional(num), etcdVersion: str, members: strings, startedAt: str, durationMs: num }),
  faults: array(object({ n: num, kind: str, members: strings, t: num, ms: num, text: str })),
  leaders: array(object({ t: num, leader: strOrNull, term: numOrNull })),
  operations: array(operation),
  metrics: array(object({ t: num, member: str, name: str, value: num })),
  verdicts: array(object({ name: str, verdict: oneOf('linearizable', 'not-linearizable', 'unknown', 'passed', 'failed'), detail: str })),
  violations: array(object({ checker: str, explanation: str, operations: array(operation) })),
});

/** The RunReport in `json`, or a LabError naming `file` and the first bad field. */
export function toRunReport(json: unknown, file: string): RunReport {
  const e = runReport(json, '');
  if (e) {
    throw new LabError('USAGE', `${file} is not a run report: ${e}`, {
      hint: 'run.json is written by `etcd-lab chaos --report DIR`; run it again, or fix that field',
    });
  }
  return json as RunReport;
}
