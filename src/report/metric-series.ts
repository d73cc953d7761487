// PURE. etcd's counters as the charts show them, per member: rates between two samples, counts since the run's
// first sample, WAL fsync mean latency from the deltas of _sum and _count. A counter that went down was reset (the
// member restarted): its increase over that interval is its new value. A gap longer than 2.5 intervals (the member
// gave no answer) breaks the line.
import type { MetricSample } from './types.js';

export interface Point {
  t: number;
  v: number;
}

/** Lines: each an unbroken run of points. */
export type Series = Point[][];

export const M = {
  leaderChanges: 'etcd_server_leader_changes_seen_total',
  committed: 'etcd_server_proposals_committed_total',
  failed: 'etcd_server_proposals_failed_total',
  fsyncSum: 'etcd_disk_wal_fsync_duration_seconds_sum',
  fsyncCount: 'etcd_disk_wal_fsync_duration_seconds_count',
} as const;

/** One member's values of one metric, in time order. */
export function valuesOf(samples: readonly MetricSample[], member: string, name: string): Point[] {
  return samples.filter((s) => s.member === member && s.name === name && Number.isFinite(s.value)).map((s) => ({ t: s.t, v: s.value })).sort((a, b) => a.t - b.t);
}

function typicalGap(points: readonly Point[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i]!.t - points[i - 1]!.t);
  if (gaps.length === 0) return Infinity;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

function increase(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}

/** Pairs of consecutive points mapped to a value at the later time; a long gap starts a new line. */
function pairwise(points: readonly Point[], f: (a: Point, b: Point) => number | null): Series {
  const gap = typicalGap(points) * 2.5;
  const out: Series = [];
  let line: Point[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const v = b.t - a.t > gap || b.t <= a.t ? null : f(a, b);
    if (v === null) {
      if (line.length) out.push(line);
      line = [];
    } else line.push({ t: b.t, v });
  }
  if (line.length) out.push(line);
  return out;
}

/** Increase per second between consecutive samples. */
export function rateSeries(points: readonly Point[]): Series {
  return pairwise(points, (a, b) => increase(a.v, b.v) / ((b.t - a.t) / 1000));
}

/** Increase since the member's first sample in the run (resets counted as described above). */
export function sinceStart(points: readonly Point[]): Series {
  if (points.length === 0) return [];
  const gap = typicalGap(points) * 2.5;
  const out: Series = [];
  let line: Point[] = [{ t: points[0]!.t, v: 0 }];
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    total += increase(a.v, b.v);
    if (b.t - a.t > gap) {
      out.push(line);
      line = [];
    }
    line.push({ t: b.t, v: total });
  }
  out.push(line);
  return out;
}

/** Mean WAL fsync latency in ms over each interval: Δsum / Δcount (no point when there was no fsync). */
export function fsyncMeanMs(sum: readonly Point[], count: readonly Point[]): Series {
  const byT = new Map(count.map((p) => [p.t, p.v]));
  const joined = sum.filter((p) => byT.has(p.t)).map((p) => ({ t: p.t, v: p.v, c: byT.get(p.t)! }));
  const gap = typicalGap(joined) * 2.5;
  const out: Series = [];
  let line: Point[] = [];
  for (let i = 1; i < joined.length; i++) {
    const a = joined[i - 1]!;
    const b = joined[i]!;
    const dc = increase(a.c, b.c);
    const ds = b.c >= a.c ? b.v - a.v : b.v;
    if (b.t - a.t > gap || dc <= 0) {
      if (line.length) out.push(line);
      line = [];
      continue;
    }
    line.push({ t: b.t, v: (ds / dc) * 1000 });
  }
  if (line.length) out.push(line);
  return out;
}
