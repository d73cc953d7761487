// The pure derivations behind the charts: leader spans and changes, counter rates with resets and gaps, WAL
// fsync mean latency, per-second throughput, downsampling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderChanges, leaderSpans } from '../../../src/report/leader-chart.js';
import { fsyncMeanMs, rateSeries, sinceStart } from '../../../src/report/metric-series.js';
import { bucketMs, okPerBucket } from '../../../src/report/throughput-chart.js';
import { thinPoints } from '../../../src/report/downsample.js';
import { thinLine } from '../../../src/report/metrics-charts.js';

test('leader spans merge equal neighbours; a new term of the same leader is a change, the first leader is not', () => {
  const spans = leaderSpans(
    [
      { t: 0, leader: 'm1', term: 2 },
      { t: 100, leader: 'm1', term: 2 },
      { t: 200, leader: null, term: null },
      { t: 300, leader: 'm1', term: 3 },
      { t: 400, leader: 'm2', term: 4 },
    ],
    1000,
  );
  assert.deepEqual(spans, [
    { from: 0, to: 200, leader: 'm1', term: 2 },
    { from: 200, to: 300, leader: null, term: null },
    { from: 300, to: 400, leader: 'm1', term: 3 },
    { from: 400, to: 1000, leader: 'm2', term: 4 },
  ]);
  assert.equal(leaderChanges(spans), 2);
  assert.equal(leaderChanges(leaderSpans([{ t: 0, leader: 'm1', term: 2 }], 10)), 0);
  // An observation without the term continues the same leader's span.
  const gapless = leaderSpans([{ t: 0, leader: 'm1', term: null }, { t: 5, leader: 'm1', term: 2 }, { t: 8, leader: 'm1', term: null }], 10);
  assert.deepEqual(gapless, [{ from: 0, to: 10, leader: 'm1', term: 2 }]);
});

test('rates per second; a counter that went down was reset (restart); a long gap breaks the line', () => {
  const pts = [
    { t: 0, v: 100 },
    { t: 1000, v: 150 },
    { t: 2000, v: 250 },
    { t: 3000, v: 20 }, // restarted: 20 since the restart
    { t: 4000, v: 30 },
    { t: 9000, v: 80 }, // 5 s without an answer
    { t: 10000, v: 90 },
  ];
  assert.deepEqual(rateSeries(pts), [
    [
      { t: 1000, v: 50 },
      { t: 2000, v: 100 },
      { t: 3000, v: 20 },
      { t: 4000, v: 10 },
    ],
    [{ t: 10000, v: 10 }],
  ]);
  assert.deepEqual(sinceStart(pts).map((l) => l.map((p) => p.v)), [
    [0, 50, 150, 170, 180],
    [230, 240],
  ]);
  assert.deepEqual(rateSeries([]), []);
  assert.deepEqual(sinceStart([{ t: 5, v: 3 }]), [[{ t: 5, v: 0 }]]);
});

test('WAL fsync mean latency is Δsum/Δcount in ms, with no point where nothing was fsynced', () => {
  const sum = [
    { t: 0, v: 1.0 },
    { t: 1000, v: 1.2 },
    { t: 2000, v: 1.2 },
    { t: 3000, v: 1.5 },
  ];
  const count = [
    { t: 0, v: 100 },
    { t: 1000, v: 200 },
    { t: 2000, v: 200 },
    { t: 3000, v: 300 },
  ];
  const s = fsyncMeanMs(sum, count);
  assert.equal(s.length, 2);
  assert.equal(s[0]![0]!.t, 1000);
  assert.ok(Math.abs(s[0]![0]!.v - 2) < 1e-9);
  assert.ok(Math.abs(s[1]![0]!.v - 3) < 1e-9);
});

test('ok operations per bucket count by return time; fail and unknown do not count', () => {
  const mk = (ret: number | undefined, outcome: 'ok' | 'fail' | 'unknown') => ({ id: 0, client: 'c', input: { f: 'get' as const, key: 'k' }, invoke: 0, return: ret, outcome });
  assert.deepEqual(okPerBucket([mk(10, 'ok'), mk(999, 'ok'), mk(1000, 'ok'), mk(1500, 'fail'), mk(undefined, 'unknown'), mk(2500, 'ok')], 3000), [2, 1, 1]);
  assert.deepEqual(okPerBucket([mk(10, 'ok'), mk(260, 'ok')], 500, 250), [1, 1]);
  assert.deepEqual(okPerBucket([], 0), [0]);
  assert.deepEqual([3000, 8000, 10_000, 20_000, 60_000, 600_000, 3_600_000].map(bucketMs), [100, 200, 250, 500, 1000, 1000, 10_000]);
});

test('thinPoints keeps one point per cell, the first', () => {
  assert.deepEqual(thinPoints([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 3, y: 0 }, { x: 0.5, y: 2.6 }], 2.5), [{ x: 0, y: 0 }, { x: 3, y: 0 }, { x: 0.5, y: 2.6 }]);
});

test('thinLine keeps one point per pixel column, the highest', () => {
  const pts = [{ t: 0, v: 1 }, { t: 0.2, v: 5 }, { t: 0.4, v: 2 }, { t: 3, v: 0 }];
  assert.deepEqual(thinLine(pts, (t) => t), [{ t: 0.2, v: 5 }, { t: 3, v: 0 }]);
});
