// The shrinker's two steps on many small random register histories: the cut the search reports is the shortest
// prefix that is not linearizable (each cut tried in turn), and what is left after dropping is still not
// linearizable and cannot lose any one more operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisterOperation } from '../../../src/check/history.js';
import { checkRegisterHistory, registerModel } from '../../../src/check/linearizability.js';
import { searchPartition, type SearchLimits } from '../../../src/check/search.js';
import { prefixUpTo, shrink } from '../../../src/check/shrink.js';
import { seededRandom } from '../../../src/chaos/targets.js';
import { cas, get, put } from '../../helpers/histories.js';

const limits = (): SearchLimits => ({ deadline: Date.now() + 10_000, now: Date.now, maxBytes: 2 ** 30 });
const linearizable = (ops: readonly RegisterOperation[]): boolean => searchPartition(registerModel, ops, limits()).outcome === 'linearizable';

/**
 * 3 clients, 4 operations each, on one key; values from a small set so that some histories are not linearizable;
 * some writes time out (unknown: they may take effect at any time after their call, or never). Whole-ms times, so
 * that calls and returns of different clients often fall on the same moment.
 */
function randomHistory(seed: number): RegisterOperation[] {
  const rand = seededRandom(seed);
  const value = (): string => ['a', 'b', 'c'][Math.floor(rand() * 3)]!;
  const ops: RegisterOperation[] = [];
  for (const c of ['c1', 'c2', 'c3']) {
    let t = Math.floor(rand() * 3);
    for (let i = 0; i < 4; i++) {
      const invoke = t;
      const ret = invoke + 1 + Math.floor(rand() * 4);
      const r = rand();
      if (r < 0.45) ops.push(get(c, 'k', rand() < 0.1 ? null : value(), invoke, ret));
      else if (r < 0.72) ops.push(put(c, 'k', value(), invoke, ret));
      else if (r < 0.8) ops.push(put(c, 'k', value(), invoke)); // unknown
      else if (r < 0.95) ops.push(cas(c, 'k', value(), value(), rand() < 0.6, invoke, ret));
      else ops.push(cas(c, 'k', value(), value(), undefined, invoke)); // unknown
      t = ret + Math.floor(rand() * 2);
    }
  }
  return ops.sort((a, b) => a.invoke - b.invoke);
}

/** The earliest return time whose prefix is not linearizable, by trying each in order. */
function shortestFailingCut(ops: readonly RegisterOperation[]): number | undefined {
  const times = [...new Set(ops.flatMap((o) => (o.outcome === 'ok' ? [o.return!] : [])))].sort((a, b) => a - b);
  return times.find((t) => !linearizable(prefixUpTo(registerModel, ops, t)));
}

const bad = Array.from({ length: 1000 }, (_, i) => randomHistory(i + 1)).filter((h) => !linearizable(h));

test('enough random histories are not linearizable for the checks below to mean something', () => {
  assert.ok(bad.length >= 50, `${bad.length} of 1000`);
});

test("the search's reach is the shortest prefix that is not linearizable", () => {
  for (const h of bad) {
    const r = searchPartition(registerModel, h, limits());
    assert.equal(r.outcome, 'not-linearizable');
    assert.equal(r.reach, shortestFailingCut(h), JSON.stringify(h));
  }
});

test('the shrunk set is not linearizable, and no single operation the model lets go can be dropped from it', () => {
  for (const h of bad) {
    const { ops, complete } = shrink(registerModel, h, limits());
    assert.ok(complete);
    assert.ok(!linearizable(ops), JSON.stringify(h));
    for (const o of ops) {
      if (!registerModel.canDrop!(o, ops)) continue;
      assert.ok(linearizable(ops.filter((x) => x !== o)), `${JSON.stringify(o)} could still go from ${JSON.stringify(ops)}`);
    }
  }
});

test('a budget that runs out while shrinking keeps the prefix the search proved, flagged as maybe not the smallest', () => {
  // One client, one operation at a time: 1500 puts each read back, a stale read, then more (after the violation).
  const h: RegisterOperation[] = [];
  for (let i = 0; i < 1500; i++) h.push(put('c1', 'k', `v${i}`, 20 * i, 20 * i + 5), get('c1', 'k', `v${i}`, 20 * i + 10, 20 * i + 15));
  h.push(get('c1', 'k', 'v0', 40_000, 40_005), put('c1', 'k', 'after', 40_010, 40_015));
  const reach = searchPartition(registerModel, h, limits()).reach!;
  assert.equal(reach, 40_005);
  // The deadline has passed: the first search of the shrink (long enough to look at the clock) gives up.
  const { ops, complete } = shrink(registerModel, h, { ...limits(), deadline: Date.now() - 1 }, reach);
  assert.equal(complete, false);
  assert.deepEqual(ops, prefixUpTo(registerModel, h, reach));
  assert.equal(ops.length, h.length - 1);
});

test("a caller's output on an unknown operation is not used: it may have taken effect with any result", () => {
  // The cas timed out; an output the caller left on it ("it failed") must not rule out that it wrote "b".
  const unknownCas = { ...cas('c2', 'k', 'a', 'b', undefined, 2), output: { f: 'cas' as const, succeeded: false } };
  const r = checkRegisterHistory([put('c1', 'k', 'a', 0, 1), unknownCas, get('c3', 'k', 'b', 5, 6)]);
  assert.equal(r.verdict, 'linearizable');
});
