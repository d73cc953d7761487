// PURE. Throughput: ok operations per second (by the time they returned), counted in buckets of 1 s, or of
// 100-500 ms for runs short enough that whole seconds would be a handful of bars.
import { OUTCOME_COLOR } from './colors.js';
import { fmtInt, fmtMs, px } from './format.js';
import { linearY, type TimeScale } from './scale.js';
import { chart, yAxis } from './svg.js';
import type { ReportFault } from './types.js';
import type { RegisterOperation } from '../check/history.js';

/**
 * The bucket width: 1 s; less for a short run so that it still has about 30 bars (100, 200, 250 or 500 ms); more for
 * a run over 10 minutes so that there are at most ~600 bars (2, 5, 10, 30 s, 1 min, ...).
 */
export function bucketMs(endMs: number): number {
  for (const w of [100, 200, 250, 500]) if (endMs / w <= 40) return w;
  for (const w of [1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000]) if (endMs / w <= 600) return w;
  return 3_600_000;
}

/** ok operations per bucket of `width` ms: index i counts returns in [i*width, (i+1)*width). */
export function okPerBucket(ops: readonly RegisterOperation[], endMs: number, width = 1000): number[] {
  const n = Math.max(1, Math.ceil(endMs / width));
  const out = new Array<number>(n).fill(0);
  for (const o of ops) {
    if (o.outcome !== 'ok' || o.return === undefined) continue;
    const i = Math.min(n - 1, Math.max(0, Math.floor(o.return / width)));
    out[i]!++;
  }
  return out;
}

export function throughputChart(ops: readonly RegisterOperation[], faults: readonly ReportFault[], s: TimeScale): string {
  const width = bucketMs(s.endMs);
  const counts = okPerBucket(ops, s.endMs, width);
  // The last bucket may be cut short by the end of the run: its rate is over the part that exists.
  const per = counts.map((c, i) => c / (Math.max(1, Math.min(width, s.endMs - i * width)) / 1000));
  let peak = 0;
  for (const v of per) peak = Math.max(peak, v);
  const top = 10;
  const bottom = 150;
  const y = linearY(peak, top, bottom);
  const bars = per
    .map((v, i) => {
      if (v === 0) return '';
      const x = s.x(i * width);
      const w = Math.max(1, s.x(Math.min((i + 1) * width, s.endMs)) - x - 1);
      return `<rect x="${px(x)}" y="${px(y.y(v))}" width="${px(w)}" height="${px(bottom - y.y(v))}"><title>${fmtMs(i * width)}–${fmtMs((i + 1) * width)}: ${fmtInt(counts[i]!)} ok (${fmtInt(v)}/s)</title></rect>`;
    })
    .join('');
  const okTotal = ops.filter((o) => o.outcome === 'ok').length;
  const mean = okTotal / Math.max(s.endMs / 1000, 0.001);
  const note = `ok operations per second, counted per ${width === 1000 ? 'second' : fmtMs(width)}. Peak <span data-stat="peak-ok-per-s" data-value="${Math.round(peak)}">${fmtInt(peak)}</span>/s, mean ${fmtInt(mean)}/s.`;
  return chart({ id: 'throughput', title: 'Throughput', note, height: bottom + 22, top, bottom, scale: s, faults, under: yAxis(y, s), body: `<g class="bars" fill="${OUTCOME_COLOR.ok}">${bars}</g>` });
}
