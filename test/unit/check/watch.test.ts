import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWatches, type WatchedEvent, type WatchLogEntry } from '../../../src/check/watch.js';

const put = (key: string, value: string, revision: number): WatchedEvent => ({ type: 'put', key, value, revision });

/** The final history: revisions 10..14, revision 12 a two-key txn. */
const FINAL: WatchedEvent[] = [put('k0', 'a', 10), put('k1', 'b', 11), put('t/a', 'x', 12), put('t/b', 'x', 12), put('k0', 'c', 13), put('k1', 'd', 14)];

function open(t: number, startRevision: number, watcher = 'w-m1'): WatchLogEntry {
  return { watcher, member: 'm1', t, kind: 'open', startRevision };
}
function resp(t: number, events: WatchedEvent[], watcher = 'w-m1'): WatchLogEntry {
  return { watcher, member: 'm1', t, kind: 'response', revision: Math.max(...events.map((e) => e.revision)), events };
}
function closed(t: number, watcher = 'w-m1'): WatchLogEntry {
  return { watcher, member: 'm1', t, kind: 'closed', reason: 'closed' };
}

/** A clean log: one response per revision, both txn events together. */
function clean(watcher = 'w-m1'): WatchLogEntry[] {
  return [open(0, 10, watcher), resp(1, [FINAL[0]!], watcher), resp(2, [FINAL[1]!], watcher), resp(3, [FINAL[2]!, FINAL[3]!], watcher), resp(4, [FINAL[4]!], watcher), resp(5, [FINAL[5]!], watcher)];
}

function failedChecks(log: WatchLogEntry[], final: WatchedEvent[] | null = FINAL): string[] {
  return checkWatches(log, final).checks.filter((c) => c.verdict === 'failed').map((c) => c.name);
}

describe('checkWatches', () => {
  test('a clean log from two watchers passes every check', () => {
    const r = checkWatches([...clean('w-m1'), ...clean('w-m2')], FINAL);
    assert.deepEqual(r.violations, []);
    assert.deepEqual(r.checks.map((c) => [c.name, c.verdict]), [['ordered', 'passed'], ['unique', 'passed'], ['atomic', 'passed'], ['reliable', 'passed'], ['resumable', 'passed']]);
    assert.match(r.checks.find((c) => c.name === 'atomic')!.detail, /1 multi-key revisions/);
  });

  test('a duplicated event is a unique violation, naming the event', () => {
    const log = clean();
    log.push(resp(6, [FINAL[1]!]));
    const r = checkWatches(log, FINAL);
    assert.deepEqual(failedChecks(log), ['unique']);
    assert.match(r.violations[0]!.explanation, /^w-m1: got put k1="b" @11 twice, at t=2 ms and t=6 ms$/);
    assert.deepEqual(r.violations[0]!.events, [FINAL[1], FINAL[1]]);
  });

  test('an event out of order is an ordered violation', () => {
    const log = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[2]!, FINAL[3]!]), resp(3, [FINAL[1]!]), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    const r = checkWatches(log, FINAL);
    assert.deepEqual(failedChecks(log), ['ordered']);
    assert.match(r.violations[0]!.explanation, /got put k1="b" @11 after an event of revision 12: revisions went backwards/);
  });

  test('a gap is a reliable violation', () => {
    const log = clean().filter((e) => !(e.kind === 'response' && e.events[0]!.revision === 13));
    const r = checkWatches(log, FINAL);
    assert.deepEqual(failedChecks(log), ['reliable']);
    assert.match(r.violations[0]!.explanation, /missed put k0="c" @13 \(it started at revision 10 and reached 14\)/);
  });

  test('an event that is not in the final history is a reliable violation', () => {
    const log = clean();
    (log[2] as { events: WatchedEvent[] }).events = [put('k1', 'ghost', 11)];
    assert.deepEqual(failedChecks(log), ['reliable']);
    assert.match(checkWatches(log, FINAL).violations.map((v) => v.explanation).join('\n'), /got put k1="ghost" @11, which is not in the final history \(that has put k1="b" @11\)/);
  });

  test('a txn split over two responses is an atomic violation', () => {
    const log = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[1]!]), resp(3, [FINAL[2]!]), resp(3.5, [FINAL[3]!]), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    const r = checkWatches(log, FINAL);
    assert.deepEqual(failedChecks(log), ['atomic']);
    assert.match(r.violations[0]!.explanation, /the events of revision 12 came in two responses/);
  });

  test('half a txn is an atomic violation, not a gap', () => {
    const log = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[1]!]), resp(3, [FINAL[2]!]), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    assert.deepEqual(failedChecks(log), ['atomic']);
    assert.match(checkWatches(log, FINAL).violations[0]!.explanation, /saw only part of revision 12: got put t\/a="x" @12 but not put t\/b="x" @12/);
  });

  test('a re-open from last + 1 that continues exactly passes; one that skips or repeats is a resumable violation', () => {
    const good = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[1]!]), closed(2.5), open(3, 12), resp(3, [FINAL[2]!, FINAL[3]!]), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    assert.deepEqual(failedChecks(good), []);
    assert.match(checkWatches(good, FINAL).checks.find((c) => c.name === 'resumable')!.detail, /^1 re-opens/);

    const skipped = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[1]!]), closed(2.5), open(3, 12), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    assert.deepEqual(failedChecks(skipped), ['resumable']);
    assert.match(checkWatches(skipped, FINAL).violations[0]!.explanation, /re-opened at t=3 ms from revision 12; its first event was put k0="c" @13, so it missed put t\/a="x" @12, put t\/b="x" @12/);

    const repeated = [open(0, 10), resp(1, [FINAL[0]!]), resp(2, [FINAL[1]!]), closed(2.5), open(3, 12), resp(3, [FINAL[1]!, FINAL[2]!, FINAL[3]!]), resp(4, [FINAL[4]!]), resp(5, [FINAL[5]!])];
    assert.deepEqual(failedChecks(repeated), ['resumable']);
    assert.match(checkWatches(repeated, FINAL).violations[0]!.explanation, /after revision 11, and got again put k1="b" @11/);
  });

  test('without a final history, reliable and resumable are unknown and a gap goes unnoticed', () => {
    const log = clean().filter((e) => !(e.kind === 'response' && e.events[0]!.revision === 13));
    const r = checkWatches(log, null);
    assert.deepEqual(r.checks.map((c) => [c.name, c.verdict]), [['ordered', 'passed'], ['unique', 'passed'], ['atomic', 'passed'], ['reliable', 'unknown'], ['resumable', 'unknown']]);
  });
});
