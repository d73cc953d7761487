// PURE. etcd's own metrics per member, sampled during the run: leader changes each member saw, proposals committed
// and failed per second, and the WAL's mean fsync latency.
import { memberColor } from './colors.js';
import { fmtInt, px } from './format.js';
import { fsyncMeanMs, M, rateSeries, sinceStart, valuesOf, type Point, type Series } from './metric-series.js';
import { linearY, type TimeScale } from './scale.js';
import { chart, swatch, yAxis } from './svg.js';
import type { MetricSample, ReportFault } from './types.js';

interface Panel {
  id: string;
  title: string;
  note: string;
  unit: string;
  series: (samples: readonly MetricSample[], member: string) => Series;
}

const PANELS: Panel[] = [
  {
    id: 'metric-leader-changes',
    title: 'Leader changes seen (since the run started)',
    note: 'etcd_server_leader_changes_seen_total, counted from each member’s first sample.',
    unit: '',
    series: (s, m) => sinceStart(valuesOf(s, m, M.leaderChanges)),
  },
  {
    id: 'metric-committed',
    title: 'Proposals committed per second',
    note: 'Rate of etcd_server_proposals_committed_total between samples.',
    unit: '/s',
    series: (s, m) => rateSeries(valuesOf(s, m, M.committed)),
  },
  {
    id: 'metric-failed',
    title: 'Proposals failed per second',
    note: 'Rate of etcd_server_proposals_failed_total between samples.',
    unit: '/s',
    series: (s, m) => rateSeries(valuesOf(s, m, M.failed)),
  },
  {
    id: 'metric-fsync',
    title: 'WAL fsync mean latency',
    note: 'Δ etcd_disk_wal_fsync_duration_seconds_sum / Δ _count between samples, in ms.',
    unit: ' ms',
    series: (s, m) => fsyncMeanMs(valuesOf(s, m, M.fsyncSum), valuesOf(s, m, M.fsyncCount)),
  },
];

/** At most one point per pixel column (the highest: a spike must stay visible), so long runs keep a small page. */
export function thinLine(line: readonly Point[], x: (t: number) => number): Point[] {
  const out: Point[] = [];
  let col = NaN;
  for (const p of line) {
    const c = Math.round(x(p.t));
    const last = out[out.length - 1];
    if (c === col && last) {
      if (p.v > last.v) out[out.length - 1] = p;
    } else out.push(p);
    col = c;
  }
  return out;
}

function linePath(lines: Series, s: TimeScale, y: (v: number) => number): string {
  return lines
    .map((raw) => {
      const l = thinLine(raw, s.x);
      return l.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(s.x(p.t))} ${px(y(p.v))}`).join('') + (l.length === 1 ? 'h0' : '');
    })
    .join('');
}

export function metricsCharts(samples: readonly MetricSample[], members: readonly string[], faults: readonly ReportFault[], s: TimeScale): string {
  const names = [...members];
  for (const x of samples) if (!names.includes(x.member)) names.push(x.member);
  const counts = names.map((m) => samples.filter((x) => x.member === m && x.name === M.committed).length);
  const legend = `<div class="legend">${names.map((m, i) => swatch(memberColor(members, m), `${m} (${counts[i]} samples)`)).join('')}</div>`;
  const head = `<section class="panel group-head" id="metrics"><h2>etcd metrics per member</h2><p class="note">Sampled from each member’s /metrics during the run (<span data-stat="metric-samples" data-value="${samples.length}">${fmtInt(samples.length)}</span> values). A member that did not answer (down, paused, cut off) has a gap.</p>${legend}</section>`;
  if (samples.length === 0) return head.replace('</section>', '<p class="empty">No metrics were sampled in this run.</p></section>');
  const panels = PANELS.map((p) => {
    const per = names.map((m) => ({ m, lines: p.series(samples, m) }));
    let max = 0;
    for (const { lines } of per) for (const l of lines) for (const pt of l) if (pt.v > max) max = pt.v;
    const top = 10;
    const bottom = 120;
    const y = linearY(max, top, bottom, 3);
    const body = per
      .map(({ m, lines }) => (lines.length ? `<path class="series" data-member="${m.replace(/[^\w.-]/g, '_')}" d="${linePath(lines, s, y.y)}" stroke="${memberColor(members, m)}"/>` : ''))
      .join('');
    return chart({ id: p.id, title: p.title, note: p.note, height: bottom + 22, top, bottom, scale: s, faults, under: yAxis(y, s, (v) => `${+v.toPrecision(3)}${p.unit}`), body });
  });
  return head + panels.join('\n');
}
