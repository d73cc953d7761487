// PURE. Scenario files: a named list of steps (faults, waits, writes, reads, claims) that the runner plays
// against a cluster. Parsed with positions so every error says file:line:col.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { LabError } from '../errors.js';
import { parseDuration } from '../plan/duration.js';
import { didYouMean } from '../plan/suggest.js';
import { failAt as fail, readYaml, type Where } from '../plan/yaml-doc.js';
import { TARGET_WORDS } from './targets.js';

/**
 * A member reference as written: a member name, a target word (leader, follower, random, all, quorum),
 * a route word for reads and writes (majority, minority, any), or `$name` for a name remembered with `as:`.
 * `$leader` is always defined: the leader at the moment the step runs.
 */
export type Ref = string;

interface StepBase {
  /** `file:line:col` of the step, for messages. */
  where: string;
  /** What the step claims, in words; generated when the file gives none. */
  claim?: string;
}

export type Step = StepBase &
  (
    | { kind: 'kill'; target: Ref; signal: 'SIGKILL' | 'SIGTERM'; as?: string }
    | { kind: 'pause' | 'resume' | 'restart' | 'isolate'; target: Ref; as?: string }
    | { kind: 'partition'; groups: Ref[][] }
    | { kind: 'cut'; from: Ref; to: Ref }
    | { kind: 'delay'; target: Ref | { from: Ref; to: Ref }; delayMs: number; jitterMs: number }
    | { kind: 'heal' }
    | { kind: 'sleep'; ms: number }
    | { kind: 'note'; text: string }
    | { kind: 'wait-leader'; not?: Ref; withinMs: number; as?: string }
    | { kind: 'put'; key: string; value: string; via: Ref; expect: 'ok' | 'fail'; timeoutMs?: number }
    | {
        kind: 'get';
        key: string;
        via: Ref;
        linearizable: boolean;
        /** `fail`, or `ok` with the value expected (`null`: the key must be absent; `undefined`: any value). */
        expect: 'ok' | 'fail';
        value?: string | null;
        timeoutMs?: number;
      }
    | { kind: 'expect-follower'; member: Ref; withinMs: number }
    | { kind: 'converge'; withinMs: number }
  );

export type StepKind = Step['kind'];

export interface Scenario {
  name: string;
  description?: string;
  /** Members the scenario is written for (the demo's default cluster size). */
  members: number;
  /** Client timeout of puts and gets that do not set their own. */
  requestTimeoutMs: number;
  steps: Step[];
  /** The file name used in positions. */
  file: string;
}

/** Steps that state something about the cluster: they PASS or FAIL. The others are actions. */
export const CLAIM_KINDS: ReadonlySet<StepKind> = new Set(['wait-leader', 'put', 'get', 'expect-follower', 'converge']);

export const STEP_KINDS: readonly StepKind[] = [
  'kill',
  'pause',
  'resume',
  'restart',
  'isolate',
  'partition',
  'cut',
  'delay',
  'heal',
  'sleep',
  'note',
  'wait-leader',
  'put',
  'get',
  'expect-follower',
  'converge',
];

export const ROUTE_WORDS = ['leader', 'follower', 'majority', 'minority', 'any'] as const;
/** Partition group entries besides names and `$vars`: `rest` = every member not named in another group. */
export const GROUP_WORDS = ['leader', 'follower', 'rest'] as const;

const TOP_KEYS = ['name', 'description', 'members', 'request-timeout', 'steps'];
const STEP_MODIFIERS = ['as', 'claim'];
const DEFAULT_WITHIN = { 'wait-leader': 5000, 'expect-follower': 5000, converge: 10_000 } as const;
const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function isNull(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** Reads one scenario step list at a time, remembering which `as:` names are defined so far. */
class StepReader {
  private readonly vars = new Set<string>(['leader']);

  constructor(private readonly at: Where) {}

  text(node: unknown, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') fail(this.at(node as Node), `${what} must be a string`);
    const v = node.value;
    if (typeof v === 'boolean') fail(this.at(node), `${what} must be a string, got ${v} (quote it: "${v}")`);
    const s = String(v);
    if (s === '') fail(this.at(node), `${what} must not be empty`);
    return s;
  }

  duration(node: unknown, what: string): number {
    const s = this.text(node, what);
    try {
      return parseDuration(s, what);
    } catch (e) {
      return fail(this.at(node as Node), (e as LabError).message, (e as LabError).hint);
    }
  }

  bool(node: unknown, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') fail(this.at(node as Node), `${what} must be true or false`);
    return node.value;
  }

  /** A member reference; `$x` must name something remembered earlier, a bare remembered name becomes `$x`. */
  ref(node: unknown, what: string, words: readonly string[]): Ref {
    return this.refText(this.text(node, what), node as Node, what, words);
  }

  refText(s: string, node: Node, what: string, words: readonly string[]): Ref {
    if (s.startsWith('$')) {
      const name = s.slice(1);
      if (!this.vars.has(name)) {
        const known = [...this.vars].map((v) => `$${v}`);
        fail(this.at(node), `${what} uses ${s}, which no earlier step remembered${didYouMean(s, known)}`, `remember a member with "as: ${name}" on an earlier step (kill, pause, wait-leader...); known: ${known.join(', ')}`);
      }
      return s;
    }
    if (this.vars.has(s) && !words.includes(s)) return `$${s}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(s)) fail(this.at(node), `${what} "${s}" is not a member name, $name${words.length > 0 ? ` or one of ${words.join(', ')}` : ''}`);
    return s;
  }

  remember(node: unknown): string {
    const s = this.text(node, 'as');
    const name = s.startsWith('$') ? s.slice(1) : s;
    if (!NAME_RE.test(name)) fail(this.at(node as Node), `as: "${s}" is not a usable name (letters, digits, _ and -)`);
    if (name === 'leader') fail(this.at(node as Node), 'as: "leader" is taken: $leader always means the current leader', 'pick another name, e.g. old_leader');
    this.vars.add(name);
    return name;
  }

  /** The keys of a step's mapping value, checked against the allowed ones. */
  fields(node: Node, step: string, allowed: readonly string[], required: readonly string[] = []): Map<string, Node> {
    if (!isMap(node)) fail(this.at(node), `${step} takes a mapping with ${allowed.join(', ')}`);
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap).items) {
      const k = String((pair.key as { value?: unknown } | null)?.value ?? '');
      if (!allowed.includes(k)) fail(this.at(pair.key as Node), `${step} has no key "${k}"${didYouMean(k, allowed)}`, `${step} keys: ${allowed.join(', ')}`);
      if (isNull(pair.value)) fail(this.at(pair.key as Node), `${step}.${k} has no value`);
      out.set(k, pair.value as Node);
    }
    for (const r of required) if (!out.has(r)) fail(this.at(node), `${step} needs "${r}"`, `${step} keys: ${allowed.join(', ')}`);
    return out;
  }

  link(node: Node, what: string, words: readonly string[]): { from: Ref; to: Ref } {
    const s = this.text(node, what);
    const m = /^\s*([^\s>-][^\s>]*?)\s*->\s*(\S+)\s*$/.exec(s);
    if (!m) fail(this.at(node), `${what} "${s}" is not a link`, 'write a link as from->to, e.g. m1->m2');
    const one = (t: string): Ref => this.refText(t, node, what, words);
    return { from: one(m[1]!), to: one(m[2]!) };
  }
}

function parseGroups(r: StepReader, node: Node, at: Where): Ref[][] {
  if (!isSeq(node) || node.items.length < 2) {
    fail(at(node), 'partition takes a list of at least 2 groups, e.g. [[leader, follower], [rest]]');
  }
  let rest = 0;
  const groups = node.items.map((g) => {
    let items: Ref[];
    if (isSeq(g)) {
      items = g.items.map((x) => r.ref(x, 'a partition group entry', GROUP_WORDS));
    } else {
      // "m1,m2" as the CLI writes it.
      const s = r.text(g, 'a partition group');
      items = s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => r.refText(x, g as Node, 'a partition group entry', GROUP_WORDS));
    }
    if (items.length === 0) fail(at(g as Node), 'a partition group is empty');
    rest += items.filter((x) => x === 'rest').length;
    return items;
  });
  if (rest > 1) fail(at(node), '"rest" may appear only once in a partition', '"rest" stands for every member no other entry names');
  return groups;
}

function parseStep(r: StepReader, item: Node, at: Where): Step {
  const where = at(item);
  if (isScalar(item)) {
    const word = String(item.value);
    if (word === 'heal') return { kind: 'heal', where };
    if (word === 'converge') return { kind: 'converge', withinMs: DEFAULT_WITHIN.converge, where };
    if (word === 'wait-leader') return { kind: 'wait-leader', withinMs: DEFAULT_WITHIN['wait-leader'], where };
    fail(where, `a step must be a mapping like "kill: leader" (or one of heal, converge, wait-leader), got "${word}"${didYouMean(word, STEP_KINDS)}`);
  }
  if (!isMap(item)) fail(where, 'a step must be a mapping like "kill: leader"');
  let kindKey: { key: string; keyNode: Node; value: Node | null } | null = null;
  let asNode: Node | null = null;
  let claim: string | undefined;
  for (const pair of item.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? '');
    const keyNode = pair.key as Node;
    if (key === 'as') {
      asNode = pair.value as Node;
      continue;
    }
    if (key === 'claim') {
      claim = r.text(pair.value, 'claim');
      continue;
    }
    if (!(STEP_KINDS as readonly string[]).includes(key)) {
      fail(at(keyNode), `unknown step "${key}"${didYouMean(key, [...STEP_KINDS, ...STEP_MODIFIERS])}`, `steps: ${STEP_KINDS.join(', ')}`);
    }
    if (kindKey) fail(at(keyNode), `one step per list item: "${kindKey.key}" and "${key}" are both here`, 'start the second one with its own "- "');
    kindKey = { key, keyNode, value: isNull(pair.value) ? null : (pair.value as Node) };
  }
  if (!kindKey) fail(where, 'the step says what to do with no action', `steps: ${STEP_KINDS.join(', ')}`);
  const { key, keyNode, value } = kindKey;
  const need = (): Node => value ?? fail(at(keyNode), `${key} needs a value`);
  const base = { where, ...(claim !== undefined ? { claim } : {}) };
  const takesAs = ['kill', 'pause', 'resume', 'restart', 'isolate', 'wait-leader'];
  if (asNode && !takesAs.includes(key)) fail(at(asNode), `"as" remembers the member a step acted on; ${key} acts on none`, `as works with: ${takesAs.join(', ')}`);

  let step: Step;
  switch (key as StepKind) {
    case 'kill': {
      const v = need();
      if (isMap(v)) {
        const f = r.fields(v, 'kill', ['target', 'signal'], ['target']);
        const sigText = f.has('signal') ? r.text(f.get('signal'), 'kill.signal').toUpperCase().replace(/^SIG/, '') : 'KILL';
        if (sigText !== 'KILL' && sigText !== 'TERM') fail(at(f.get('signal')), `kill.signal must be KILL or TERM, got "${sigText}"`, 'use pause/resume for SIGSTOP/SIGCONT');
        step = { ...base, kind: 'kill', target: r.ref(f.get('target'), 'kill.target', TARGET_WORDS), signal: sigText === 'KILL' ? 'SIGKILL' : 'SIGTERM' };
      } else step = { ...base, kind: 'kill', target: r.ref(v, 'kill', TARGET_WORDS), signal: 'SIGKILL' };
      break;
    }
    case 'pause':
    case 'resume':
    case 'restart':
    case 'isolate': {
      const v = need();
      const t = isMap(v) ? r.fields(v, key, ['target'], ['target']).get('target') : v;
      step = { ...base, kind: key as 'pause', target: r.ref(t, key, TARGET_WORDS) };
      break;
    }
    case 'partition':
      step = { ...base, kind: 'partition', groups: parseGroups(r, need(), at) };
      break;
    case 'cut': {
      const v = need();
      if (isMap(v)) {
        const f = r.fields(v, 'cut', ['from', 'to'], ['from', 'to']);
        step = { ...base, kind: 'cut', from: r.ref(f.get('from'), 'cut.from', []), to: r.ref(f.get('to'), 'cut.to', []) };
      } else step = { ...base, kind: 'cut', ...r.link(v, 'cut', []) };
      break;
    }
    case 'delay': {
      const f = r.fields(need(), 'delay', ['target', 'link', 'delay', 'jitter'], ['delay']);
      if (f.has('target') === f.has('link')) fail(at(value), 'delay needs either "target" (a member, both ways) or "link" (from->to)');
      const target = f.has('target') ? r.ref(f.get('target'), 'delay.target', ['leader', 'follower', 'random']) : r.link(f.get('link')!, 'delay.link', []);
      step = {
        ...base,
        kind: 'delay',
        target,
        delayMs: Math.round(r.duration(f.get('delay'), 'delay.delay')),
        jitterMs: f.has('jitter') ? Math.round(r.duration(f.get('jitter'), 'delay.jitter')) : 0,
      };
      break;
    }
    case 'heal':
      step = { ...base, kind: 'heal' };
      break;
    case 'sleep':
      step = { ...base, kind: 'sleep', ms: r.duration(need(), 'sleep') };
      break;
    case 'note':
      step = { ...base, kind: 'note', text: r.text(need(), 'note') };
      break;
    case 'wait-leader': {
      const f = value === null ? new Map<string, Node>() : r.fields(value, 'wait-leader', ['not', 'within', 'as']);
      if (f.has('as')) {
        if (asNode) fail(at(f.get('as')), '"as" is given twice for this step');
        asNode = f.get('as')!;
      }
      step = {
        ...base,
        kind: 'wait-leader',
        withinMs: f.has('within') ? r.duration(f.get('within'), 'wait-leader.within') : DEFAULT_WITHIN['wait-leader'],
        ...(f.has('not') ? { not: r.ref(f.get('not'), 'wait-leader.not', []) } : {}),
      };
      break;
    }
    case 'put': {
      const f = r.fields(need(), 'put', ['key', 'value', 'via', 'expect', 'timeout'], ['key', 'value']);
      const expect = f.has('expect') ? r.text(f.get('expect'), 'put.expect') : 'ok';
      if (expect !== 'ok' && expect !== 'fail') fail(at(f.get('expect')), `put.expect must be ok or fail, got "${expect}"`, 'fail means: the put fails or times out');
      step = {
        ...base,
        kind: 'put',
        key: r.text(f.get('key'), 'put.key'),
        value: r.text(f.get('value'), 'put.value'),
        via: f.has('via') ? r.ref(f.get('via'), 'put.via', ROUTE_WORDS) : 'leader',
        expect,
        ...(f.has('timeout') ? { timeoutMs: r.duration(f.get('timeout'), 'put.timeout') } : {}),
      };
      break;
    }
    case 'get': {
      const v = need();
      if (!isMap(v)) fail(at(v), 'get takes a mapping with key, via, linearizable, expect, value, timeout');
      const f = new Map<string, Node | null>();
      for (const pair of v.items) {
        const k = String((pair.key as { value?: unknown } | null)?.value ?? '');
        const allowed = ['key', 'via', 'linearizable', 'expect', 'value', 'timeout'];
        if (!allowed.includes(k)) fail(at(pair.key as Node), `get has no key "${k}"${didYouMean(k, allowed)}`, `get keys: ${allowed.join(', ')}`);
        f.set(k, isNull(pair.value) ? null : (pair.value as Node));
      }
      if (!f.get('key')) fail(at(v), 'get needs "key"');
      let expect: 'ok' | 'fail' = 'ok';
      let expected: string | null | undefined;
      if (f.has('expect')) {
        const e = f.get('expect');
        if (e === null) expected = null;
        else {
          const s = r.text(e, 'get.expect');
          if (s === 'fail') expect = 'fail';
          else if (s === 'absent') expected = null;
          else if (s !== 'ok') expected = s;
        }
      }
      if (f.has('value')) {
        if (expect === 'fail') fail(at(f.get('value')), 'get.value makes no sense with expect: fail');
        const vn = f.get('value');
        expected = vn === null ? null : r.text(vn, 'get.value');
      }
      step = {
        ...base,
        kind: 'get',
        key: r.text(f.get('key'), 'get.key'),
        via: f.get('via') ? r.ref(f.get('via'), 'get.via', ROUTE_WORDS) : 'leader',
        linearizable: f.get('linearizable') ? r.bool(f.get('linearizable'), 'get.linearizable') : true,
        expect,
        ...(expected !== undefined ? { value: expected } : {}),
        ...(f.get('timeout') ? { timeoutMs: r.duration(f.get('timeout'), 'get.timeout') } : {}),
      };
      break;
    }
    case 'expect-follower': {
      const v = need();
      if (isMap(v)) {
        const f = r.fields(v, 'expect-follower', ['member', 'within'], ['member']);
        step = {
          ...base,
          kind: 'expect-follower',
          member: r.ref(f.get('member'), 'expect-follower.member', []),
          withinMs: f.has('within') ? r.duration(f.get('within'), 'expect-follower.within') : DEFAULT_WITHIN['expect-follower'],
        };
      } else step = { ...base, kind: 'expect-follower', member: r.ref(v, 'expect-follower', []), withinMs: DEFAULT_WITHIN['expect-follower'] };
      break;
    }
    case 'converge': {
      const f = value === null ? new Map<string, Node>() : r.fields(value, 'converge', ['within']);
      step = { ...base, kind: 'converge', withinMs: f.has('within') ? r.duration(f.get('within'), 'converge.within') : DEFAULT_WITHIN.converge };
      break;
    }
  }
  if (asNode) (step as { as?: string }).as = r.remember(asNode);
  return step;
}

/** Parses a scenario file's text; `file` names it in error positions. */
export function parseScenario(text: string, file = 'scenario.yaml'): Scenario {
  const { doc, at } = readYaml(text, file);
  const root = doc.contents;
  if (!isMap(root)) fail(at(root as Node), 'a scenario is a mapping with name, members and steps', 'see examples/failover.yaml');
  const top = new Map<string, { key: Node; value: Node | null }>();
  for (const pair of root.items) {
    const k = String((pair.key as { value?: unknown } | null)?.value ?? '');
    if (!TOP_KEYS.includes(k)) fail(at(pair.key as Node), `unknown key "${k}"${didYouMean(k, TOP_KEYS)}`, `scenario keys: ${TOP_KEYS.join(', ')}`);
    top.set(k, { key: pair.key as Node, value: isNull(pair.value) ? null : (pair.value as Node) });
  }
  const r = new StepReader(at);
  const stepsEntry = top.get('steps');
  if (!stepsEntry?.value) fail(stepsEntry ? at(stepsEntry.key) : at(root), 'the scenario has no steps', 'add "steps:" with a list, e.g. "- kill: leader"');
  if (!isSeq(stepsEntry.value) || stepsEntry.value.items.length === 0) fail(at(stepsEntry.value), 'steps must be a non-empty list');

  let members = 3;
  const m = top.get('members');
  if (m?.value) {
    const v = isScalar(m.value) ? m.value.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(at(m.value), `members must be a whole number of members, got ${JSON.stringify(v ?? null)}`);
    members = v;
  }
  const name = top.get('name')?.value ? r.text(top.get('name')!.value, 'name') : file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  const description = top.get('description')?.value ? r.text(top.get('description')!.value, 'description') : undefined;
  const rt = top.get('request-timeout')?.value;
  const requestTimeoutMs = rt ? r.duration(rt, 'request-timeout') : DEFAULT_REQUEST_TIMEOUT_MS;
  if (requestTimeoutMs <= 0) fail(at(rt), 'request-timeout must be more than 0');
  const steps = stepsEntry.value.items.map((item) => parseStep(r, item as Node, at));
  return { name, ...(description !== undefined ? { description } : {}), members, requestTimeoutMs, steps, file };
}
