import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegisterHistory } from '../../../src/check/linearizability.js';
import { cas, get, put, recordedHistory } from '../../helpers/histories.js';

const ids = (ops: { id: number }[]): number[] => ops.map((o) => o.id).sort((a, b) => a - b);

test('a recorded history is linearizable, one partition per key', () => {
  const r = checkRegisterHistory(recordedHistory());
  assert.equal(r.verdict, 'linearizable');
  assert.equal(r.operations, 90);
  assert.equal(r.partitions, 3);
  assert.equal(r.violation, undefined);
});

test('a stale read spliced in: not linearizable, and the violation is the two puts and the read', () => {
  const base = recordedHistory();
  // k1 gets "k1-0" at 0-2 ms and "k1-3" at 21-23 ms; a read at 100-101 ms sees the overwritten "k1-0"
  const first = base.find((o) => o.input.f === 'put' && o.input.value === 'k1-0')!;
  const lastK1 = base.filter((o) => o.input.f === 'put' && o.input.key === 'k1').at(-1)!;
  const stale = get('c9', 'k1', 'k1-0', 1000, 1001);
  const r = checkRegisterHistory([...base, stale]);
  assert.equal(r.verdict, 'not-linearizable');
  assert.equal(r.violation?.key, 'k1');
  // the read, the put it saw, and one later put of k1 that overwrote it (any of them shows it)
  const ops = r.violation!.operations;
  assert.equal(ops.length, 3, r.violation!.explanation);
  assert.ok(ops.includes(first) && ops.includes(stale));
  const overwrite = ops.find((o) => o !== first && o !== stale)!;
  assert.ok(overwrite.input.f === 'put' && overwrite.input.key === 'k1' && overwrite.invoke > first.return! && overwrite.return! <= lastK1.return!);
  assert.match(r.violation!.explanation, /c9's get of k1 returned "k1-0" at 1\.000–1\.001 s, but c1's put of "k1-0" to k1 \(acknowledged at 0\.002 s\) was overwritten by c1's put of "k1-\d+" to k1/);
});

test('a lost write: an acknowledged put that a later read does not see; the violation is the put, the read and what it read', () => {
  const ops = [put('c1', 'k', 'a', 0, 2), get('c2', 'k', 'a', 3, 4), put('c1', 'k', 'b', 10, 12), get('c2', 'k', 'b', 13, 14), put('c3', 'k', 'lost', 20, 22), get('c2', 'k', 'b', 30, 31), get('c1', 'j', null, 0, 40)];
  const r = checkRegisterHistory(ops);
  assert.equal(r.verdict, 'not-linearizable');
  assert.equal(r.violation?.key, 'k');
  assert.deepEqual(ids(r.violation!.operations), ids([ops[2]!, ops[4]!, ops[5]!]), r.violation!.explanation);
  assert.match(r.violation!.explanation, /c2's get of k returned "b" at 0\.030–0\.031 s, but c1's put of "b" to k \(acknowledged at 0\.012 s\) was overwritten by c3's put of "lost" to k \(acknowledged at 0\.022 s\)/);
});

test('the violation shown is one the history has: a read still running at the cut does not lose the write it saw', () => {
  // A stale read (c3 reads "1" after "3" was acknowledged) ends at 5 ms. c4's read, running at that moment (from 3.5 ms), returns
  // "9", which c5 writes from 6 ms on: that read is fine. Shrinking must not show it without that write ("no write
  // of 9 had begun").
  const ops = [put('c1', 'k', '1', 0, 1), put('c2', 'k', '3', 2, 3), get('c4', 'k', '9', 3.5, 20), get('c3', 'k', '1', 4, 5), put('c5', 'k', '9', 6, 7)];
  const r = checkRegisterHistory(ops);
  assert.equal(r.verdict, 'not-linearizable');
  assert.deepEqual(ids(r.violation!.operations), ids([ops[0]!, ops[1]!, ops[3]!]), r.violation!.explanation);
  assert.match(r.violation!.explanation, /c3's get of k returned "1"/);
});

test('a read of nothing after an acknowledged put: the violation is those two', () => {
  const ops = [put('c1', 'k', 'v', 0, 2), get('c2', 'k', null, 5, 6)];
  const r = checkRegisterHistory(ops);
  assert.equal(r.verdict, 'not-linearizable');
  assert.deepEqual(ids(r.violation!.operations), ids(ops));
  assert.match(r.violation!.explanation, /returned nothing \(absent\).*but c1's put of "v" to k was acknowledged at 0\.002 s, before that read began/);
});

test('an unknown write that later appears is linearizable; so is one never seen', () => {
  const appears = [put('c1', 'k', 'a', 0, 2), put('c2', 'k', 'b', 3), get('c1', 'k', 'a', 10, 11), get('c3', 'k', 'b', 500, 501), get('c1', 'k', 'b', 600, 601)];
  assert.equal(checkRegisterHistory(appears).verdict, 'linearizable');
  const never = [put('c1', 'k', 'a', 0, 2), put('c2', 'k', 'b', 3), get('c1', 'k', 'a', 10, 11), get('c3', 'k', 'a', 500, 501)];
  assert.equal(checkRegisterHistory(never).verdict, 'linearizable');
  // but once it has appeared it cannot disappear again
  const flips = [...appears, get('c2', 'k', 'a', 700, 701)];
  assert.equal(checkRegisterHistory(flips).verdict, 'not-linearizable');
});

test('an unknown write cannot take effect before its invoke', () => {
  const ops = [put('c1', 'k', 'a', 0, 2), get('c2', 'k', 'b', 5, 6), put('c3', 'k', 'b', 10)];
  const r = checkRegisterHistory(ops);
  assert.equal(r.verdict, 'not-linearizable');
  assert.match(r.violation!.explanation, /no write of "b" had begun before that read returned/);
});

test('a failed put certainly did not happen; an unknown read constrains nothing', () => {
  const failed = [put('c1', 'k', 'a', 0, 2), put('c2', 'k', 'b', 3, 4, 'fail'), get('c1', 'k', 'b', 10, 11)];
  const r = checkRegisterHistory(failed);
  assert.equal(r.verdict, 'not-linearizable');
  assert.equal(r.operations, 2);
  const unknownRead = [put('c1', 'k', 'a', 0, 2), get('c2', 'k', 'zzz', 3, undefined, 'unknown'), get('c1', 'k', 'a', 10, 11)];
  const u = checkRegisterHistory(unknownRead);
  assert.equal(u.verdict, 'linearizable');
  assert.equal(u.operations, 2);
});

test('cas: succeeded true needs the expected value, succeeded false needs another one', () => {
  const base = () => [put('c1', 'k', 'a', 0, 2)];
  const check = (...more: ReturnType<typeof cas>[]) => checkRegisterHistory([...base(), ...more]).verdict;
  assert.equal(check(cas('c2', 'k', 'a', 'b', true, 5, 6), get('c3', 'k', 'b', 7, 8)), 'linearizable');
  assert.equal(check(cas('c2', 'k', 'x', 'b', true, 5, 6)), 'not-linearizable');
  assert.equal(check(cas('c2', 'k', 'x', 'b', false, 5, 6), get('c3', 'k', 'a', 7, 8)), 'linearizable');
  assert.equal(check(cas('c2', 'k', 'a', 'b', false, 5, 6)), 'not-linearizable');
  // a failed cas changes nothing
  assert.equal(check(cas('c2', 'k', 'x', 'b', false, 5, 6), get('c3', 'k', 'b', 7, 8)), 'not-linearizable');
  // expect null: "the key is absent"
  assert.equal(checkRegisterHistory([cas('c1', 'n', null, 'v', true, 0, 1), get('c2', 'n', 'v', 2, 3)]).verdict, 'linearizable');
  assert.equal(checkRegisterHistory([cas('c1', 'n', null, 'v', false, 0, 1)]).verdict, 'not-linearizable');
  // an unknown cas may or may not have happened
  assert.equal(check(cas('c2', 'k', 'a', 'b', undefined, 5), get('c3', 'k', 'b', 9, 10)), 'linearizable');
  assert.equal(check(cas('c2', 'k', 'a', 'b', undefined, 5), get('c3', 'k', 'a', 9, 10)), 'linearizable');
  assert.equal(check(cas('c2', 'k', 'x', 'b', undefined, 5), get('c3', 'k', 'b', 9, 10)), 'not-linearizable');
});

test('concurrent operations may take effect in either order; real-time order is kept', () => {
  const ops = [put('c1', 'k', 'a', 0, 10), put('c2', 'k', 'b', 1, 9), get('c3', 'k', 'a', 11, 12)];
  assert.equal(checkRegisterHistory(ops).verdict, 'linearizable');
  const seq = [put('c1', 'k', 'a', 0, 1), put('c2', 'k', 'b', 2, 3), get('c3', 'k', 'a', 11, 12)];
  assert.equal(checkRegisterHistory(seq).verdict, 'not-linearizable');
});

test('a budget of 1 ms on a large history: unknown, never linearizable', () => {
  const big = recordedHistory(20_000); // 60 000 operations
  const r = checkRegisterHistory(big, { budgetMs: 1 });
  assert.equal(r.verdict, 'unknown');
  assert.match(r.reason!, /the time budget of 1 ms ran out with \d of 3 keys checked/);
  assert.equal(r.violation, undefined);
});

test('the budget counts from the start: a clock that has run out gives unknown for any history', () => {
  let t = 0;
  const now = () => (t += 50);
  const r = checkRegisterHistory(recordedHistory(400), { budgetMs: 40, now });
  assert.equal(r.verdict, 'unknown');
});

test('a search that outgrows its memory limit gives unknown with the reason, and the other keys are still checked', () => {
  const u = checkRegisterHistory(recordedHistory(3000), { maxBytes: 1 });
  assert.equal(u.verdict, 'unknown');
  assert.match(u.reason!, /the search of key k\d \(\d+ operations\) outgrew 0 MiB; 0 of 3 keys checked/);
  // a small key with a lost write is still decided, and a violation wins over unknown
  const r = checkRegisterHistory([...recordedHistory(3000), put('c9', 'z', 'a', 0, 1), get('c9', 'z', null, 2, 3)], { maxBytes: 1 });
  assert.equal(r.verdict, 'not-linearizable');
  assert.equal(r.violation?.key, 'z');
});
