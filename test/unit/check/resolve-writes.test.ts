import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUnknownWrites } from '../../../src/check/resolve-writes.js';
import { checkRegisterHistory } from '../../../src/check/linearizability.js';
import type { WatchedEvent, WatchLogEntry } from '../../../src/check/watch.js';
import { cas, get, put } from '../../helpers/histories.js';

const ev = (key: string, value: string, revision: number): WatchedEvent => ({ type: 'put', key, value, revision });
const seen = (t: number, ...events: WatchedEvent[]): WatchLogEntry => ({ watcher: 'w-m1', member: 'm1', t, kind: 'response', revision: events.at(-1)!.revision, events });

test('a timed-out put found in the final history is applied, returning when a watcher first got its event', () => {
  const lost = put('c1', 'k', 'a', 10);
  const r = resolveUnknownWrites([lost, get('c2', 'k', 'a', 40, 41)], [ev('k', 'a', 2)], [seen(35, ev('k', 'a', 2)), seen(30, ev('k', 'a', 2))]);
  assert.deepEqual([r.applied, r.notApplied, r.left], [1, 0, 0]);
  const settled = r.history[0]!;
  assert.equal(settled.outcome, 'ok');
  assert.equal(settled.return, 30);
  assert.deepEqual(settled.output, { f: 'put' });
  assert.equal(settled.revision, '2');
  assert.equal(lost.outcome, 'unknown', 'the input history is not changed');
});

test('a timed-out cas found in the final history succeeded; with no watcher delivery it returns by the end of the run', () => {
  const c = cas('c1', 'k', null, 'b', undefined, 5);
  const r = resolveUnknownWrites([c, put('c2', 'j', 'x', 50, 60)], [ev('k', 'b', 2), ev('j', 'x', 3)]);
  assert.deepEqual({ ...r.history[0], id: 0 }, { ...c, id: 0, outcome: 'ok', return: 60, output: { f: 'cas', succeeded: true }, revision: '2', error: 'unknown; applied at revision 2 (final key history)' });
});

test('a timed-out write not in the final history never took effect: it fails', () => {
  const r = resolveUnknownWrites([put('c1', 'k', 'a', 10), cas('c1', 'k', 'a', 'b', undefined, 20)], [ev('k', 'z', 2)]);
  assert.deepEqual([r.applied, r.notApplied, r.left], [0, 2, 0]);
  assert.deepEqual(r.history.map((o) => o.outcome), ['fail', 'fail']);
});

test('a value written by two operations, or twice in the history, or a read, stays as it was; no final history changes nothing', () => {
  const twice = [put('c1', 'k', 'a', 10), put('c2', 'k', 'a', 0, 5)];
  assert.deepEqual(resolveUnknownWrites(twice, [ev('k', 'a', 2)]).history.map((o) => o.outcome), ['unknown', 'ok']);
  const dup = resolveUnknownWrites([put('c1', 'k', 'a', 10)], [ev('k', 'a', 2), ev('k', 'a', 3)]);
  assert.equal(dup.left, 1);
  const read = get('c1', 'k', null, 1, undefined, 'unknown');
  assert.equal(resolveUnknownWrites([read], [ev('k', 'a', 2)]).history[0], read);
  const none = resolveUnknownWrites([put('c1', 'k', 'a', 10)], null);
  assert.deepEqual([none.applied, none.notApplied, none.left, none.history[0]!.outcome], [0, 0, 1, 'unknown']);
});

test('settling keeps violations: a read of a value whose timed-out write never happened is not linearizable', () => {
  const ops = [put('c1', 'k', 'a', 0, 2), put('c2', 'k', 'ghost', 5), get('c3', 'k', 'ghost', 10, 11)];
  assert.equal(checkRegisterHistory(ops).verdict, 'linearizable', 'unsettled, the timed-out put may explain the read');
  const r = resolveUnknownWrites(ops, [ev('k', 'a', 2)]);
  assert.equal(checkRegisterHistory(r.history).verdict, 'not-linearizable');
});

test('settling keeps violations: a stale read after a settled write is caught', () => {
  // the timed-out put of "b" was applied (a watcher got it at 20 ms); a read at 30 ms still returns "a"
  const ops = [put('c1', 'k', 'a', 0, 2), put('c2', 'k', 'b', 5), get('c3', 'k', 'a', 30, 31)];
  assert.equal(checkRegisterHistory(ops).verdict, 'linearizable', 'unsettled, "b" may take effect after the read');
  const r = resolveUnknownWrites(ops, [ev('k', 'a', 2), ev('k', 'b', 3)], [seen(20, ev('k', 'b', 3))]);
  assert.equal(checkRegisterHistory(r.history).verdict, 'not-linearizable');
});
