// PURE. One step of a scenario file, from its YAML node to a Step: which kind it is, its values and their defaults,
// and the checks that make a mistake an error at file:line:col.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { didYouMean } from '../plan/suggest.js';
import { failAt as fail, type Where } from '../plan/yaml-doc.js';
import { GROUP_WORDS, ROUTE_WORDS, STEP_KINDS, type Ref, type Step, type StepKind } from './scenario-types.js';
import { isNull, type StepReader } from './step-reader.js';
import { TARGET_WORDS } from './targets.js';

const STEP_MODIFIERS = ['as', 'claim'];
const DEFAULT_WITHIN = { 'wait-leader': 5000, 'expect-follower': 5000, converge: 10_000 } as const;

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

export function parseStep(r: StepReader, item: Node, at: Where): Step {
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
