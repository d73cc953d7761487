import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEntry, renderEntry, renderOffset, renderSummary, summarize, type TimelineEntry } from '../../../src/chaos/timeline.js';

const at = '2026-01-01T00:00:00.000Z';
const e = (x: Omit<TimelineEntry, 'at'>): TimelineEntry => ({ at, ...x });

const run: TimelineEntry[] = [
  e({ t: 0, kind: 'leader-elected', member: 'm1', term: 2 }),
  e({ t: 40, kind: 'write-ok', member: 'm1', key: '/a', value: '1', ms: 5, revision: '2' }),
  e({ t: 45, kind: 'fault', action: 'kill', members: ['m1'], text: 'kill m1 (the leader) with SIGKILL' }),
  e({ t: 45, kind: 'leader-lost', member: 'm1', term: 2, reason: 'killed' }),
  // Entries may arrive out of order (log time stamps): the summary sorts them.
  e({ t: 812, kind: 'leader-elected', member: 'm3', term: 5, withoutLeaderMs: 767 }),
  e({ t: 300, kind: 'write-failed', member: 'm2', key: '/b', value: '2', ms: 1500, reason: 'timed out' }),
  e({ t: 900, kind: 'read-ok', member: 'm3', key: '/a', value: null, ms: 3 }),
  e({ t: 950, kind: 'read-failed', member: 'm2', key: '/a', ms: 1500, reason: 'timed out' }),
  e({ t: 1000, kind: 'fault', action: 'restart', members: ['m1'], text: 'restart m1' }),
  e({ t: 1100, kind: 'check', ok: true, text: 'a new leader within 5 s' }),
  e({ t: 1200, kind: 'check', ok: false, text: 'put /c via m2 fails: ok in 3 ms' }),
  e({ t: 2000, kind: 'leader-lost', member: 'm3', term: 5, reason: 'stepped down' }),
  e({ t: 2100, kind: 'leader-elected', member: 'm3', term: 5, withoutLeaderMs: 100, same: true }),
  e({ t: 3000, kind: 'leader-lost', member: 'm3', term: 5, reason: 'paused' }),
];

test('summary: faults without repairs, elections, gaps, counts', () => {
  const s = summarize(run, 3500);
  assert.equal(s.faults, 1, 'a restart is a repair, not a fault');
  assert.equal(s.elections, 1, 'the first leader and a leader coming back are not elections');
  assert.deepEqual(s.gaps, [
    { from: 45, to: 812, ms: 767 },
    { from: 2000, to: 2100, ms: 100 },
    { from: 3000, to: null, ms: 500 },
  ]);
  assert.equal(s.longestWithoutLeaderMs, 767);
  assert.equal(s.noLeaderAtEnd, true);
  assert.deepEqual(s.writes, { ok: 1, failed: 1 });
  assert.deepEqual(s.reads, { ok: 1, failed: 1 });
  assert.deepEqual(s.checks, { passed: 1, failed: 1 });
  assert.equal(s.durationMs, 3500);
  assert.deepEqual(renderSummary(s), [
    'faults: 1, elections: 1, longest time without a leader: 767 ms (no leader at the end)',
    'writes: 1 ok, 1 failed or timed out',
    'reads: 1 ok, 1 failed or timed out',
  ]);
});

test('an empty run', () => {
  const s = summarize([], 0);
  assert.equal(s.longestWithoutLeaderMs, 0);
  assert.equal(s.noLeaderAtEnd, false);
  assert.deepEqual(renderSummary(s), ['faults: 0, elections: 0, longest time without a leader: 0 ms']);
});

test('live lines', () => {
  const lines = run.map((x) => renderEntry(x, { color: false }));
  assert.deepEqual(lines, [
    '+     0 ms  leader m1 (term 2)',
    '+    40 ms  put /a = 1 via m1: ok in 5 ms (revision 2)',
    '+    45 ms  fault: kill m1 (the leader) with SIGKILL',
    '+    45 ms  leader m1 (term 2) lost: killed',
    '+   812 ms  new leader m3 (term 5) after 767 ms without a leader',
    '+   300 ms  put /b = 2 via m2: failed in 1.50 s (timed out)',
    '+   900 ms  get /a via m3: absent in 3 ms',
    '+   950 ms  get /a via m2: failed in 1.50 s (timed out)',
    '+  1000 ms  repair: restart m1',
    '+  1100 ms  PASS  a new leader within 5 s',
    '+  1200 ms  FAIL  put /c via m2 fails: ok in 3 ms',
    '+  2000 ms  leader m3 (term 5) lost: stepped down',
    '+  2100 ms  leader m3 (term 5) is back after 100 ms',
    '+  3000 ms  leader m3 (term 5) lost: paused',
  ]);
  assert.equal(describeEntry(e({ t: 0, kind: 'leader-lost', reason: 'none when the observer started' })), 'no leader: none when the observer started');
  assert.equal(renderOffset(123_456), '+  123.5 s');
  assert.equal(renderOffset(-3), '+     0 ms');
  const colored = renderEntry(run[4]!, { color: true });
  assert.notEqual(colored, lines[4]);
  assert.equal(colored.replace(/\x1b\[[0-9;]*m/g, ''), lines[4]);
});
