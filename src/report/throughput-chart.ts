// PURE. Throughput: ok operations per second of the run (by the second they returned in).
import { OUTCOME_COLOR } from './colors.js';
import { fmtInt, px } from './format.js';
import { linearY, type TimeScale } from './scale.js';
import { chart, yAxis } from './svg.js';
import type { ReportFault } from './types.js';
import type { RegisterOperation } from '../check/history.js';

/** ok operations per whole second: index i counts returns in [i s, i+1 s). */
export function okPerSecond(ops: readonly RegisterOperation[], endMs: number): number[] {
  const n = Math.max(1, Math.ceil(endMs / 1000));
  const out = new Array<number>(n).fill(0);
  for (const o of ops) {
    if (o.outcome !== 'ok' || o.return === undefined) continue;
    const i = Math.min(n - 1, Math.max(0, Math.floor(o.return / 1000)));
    out[i]!++;
  }
  return out;
}

export function throughputChart(ops: readonly RegisterOperation[], faults: readonly ReportFault[], s: TimeScale): string {
  const per = okPerSecond(ops, s.endMs);
  const peak = Math.max(0, ...per);
  const top = 10;
  const bottom = 150;
  const y = linearY(peak, top, bottom);
  const bars = per
    .map((v, i) => {
      if (v === 0) return '';
      const x = s.x(i * 1000);
      const w = Math.max(1, s.x(Math.min((i + 1) * 1000, s.endMs)) - x - 1);
      return `<rect x="${px(x)}" y="${px(y.y(v))}" width="${px(w)}" height="${px(bottom - y.y(v))}"><title>${i}–${i + 1} s: ${fmtInt(v)} ok</title></rect>`;
    })
    .join('');
  const secs = per.length;
  const mean = ops.filter((o) => o.outcome === 'ok').length / Math.max(secs, 1);
  const note = `ok operations per second. Peak <span data-stat="peak-ok-per-s" data-value="${peak}">${fmtInt(peak)}</span>/s, mean ${fmtInt(mean)}/s.`;
  return chart({ id: 'throughput', title: 'Throughput', note, height: bottom + 22, top, bottom, scale: s, faults, under: yAxis(y, s), body: `<g class="bars" fill="${OUTCOME_COLOR.ok}">${bars}</g>` });
}
