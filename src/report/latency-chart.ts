// PURE. Every operation's latency (invoke..return) at its invoke time, coloured by outcome, on a log scale. An
// unknown operation has no return: it is drawn as a line from its invoke to the end of the run in its own strip.
import type { Outcome } from '../check/history.js';
import { OUTCOME_COLOR } from './colors.js';
import { dotPath, thinPoints } from './downsample.js';
import { fmtInt, px } from './format.js';
import { logY, type TimeScale } from './scale.js';
import { chart, swatch, yAxis } from './svg.js';
import type { ReportFault } from './types.js';
import type { RegisterOperation } from '../check/history.js';

const CELL = 2.5;

export function latencyChart(ops: readonly RegisterOperation[], faults: readonly ReportFault[], s: TimeScale): string {
  const top = 34;
  const bottom = 250;
  const stripTop = 6;
  const stripBottom = 26;
  const done = ops.filter((o) => o.outcome !== 'unknown' && o.return !== undefined);
  const lat = done.map((o) => Math.max(o.return! - o.invoke, 0));
  let lo = 1;
  let hi = 10;
  for (const l of lat) {
    if (l > 0 && l < lo) lo = l;
    if (l > hi) hi = l;
  }
  const y = logY(Math.max(0.1, lo), hi, top, bottom);
  let drawn = 0;
  const layers: string[] = [];
  for (const outcome of ['ok', 'fail'] as Outcome[]) {
    const pts: { x: number; y: number }[] = [];
    done.forEach((o, i) => {
      if (o.outcome === outcome) pts.push({ x: s.x(o.invoke), y: y.y(lat[i]!) });
    });
    const kept = thinPoints(pts, CELL);
    drawn += kept.length;
    if (kept.length) layers.push(`<path class="dots ${outcome}" d="${dotPath(kept)}" stroke="${OUTCOME_COLOR[outcome]}"/>`);
  }
  // Unknown: one line per start cell (they all run to the end), spread over 4 lanes of the strip.
  const unknown = ops.filter((o) => o.outcome === 'unknown');
  const starts = thinPoints(
    unknown.map((o, i) => ({ x: s.x(o.invoke), y: stripTop + 4 + (i % 4) * 4 })),
    CELL,
  );
  drawn += starts.length;
  const lines = starts.map((p) => `M${px(p.x)} ${px(p.y)}H${s.x1}`).join('');
  if (lines) layers.push(`<path class="unknown-lines" d="${lines}" stroke="${OUTCOME_COLOR.unknown}"/><path class="dots unknown" d="${dotPath(starts)}" stroke="${OUTCOME_COLOR.unknown}"/>`);
  const count = (o: Outcome): number => ops.filter((x) => x.outcome === o).length;
  const under =
    yAxis(y, s, (v) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`)) +
    `<rect class="strip" x="${s.x0}" y="${stripTop}" width="${s.x1 - s.x0}" height="${stripBottom - stripTop}"/><text class="tick" x="${s.x0 - 6}" y="${stripTop + 14}" text-anchor="end">unknown</text>`;
  const legend = `<div class="legend">${swatch(OUTCOME_COLOR.ok, `ok ${fmtInt(count('ok'))}`)}${swatch(OUTCOME_COLOR.fail, `fail ${fmtInt(count('fail'))}`)}${swatch(OUTCOME_COLOR.unknown, `unknown ${fmtInt(count('unknown'))} (no answer: drawn to the end)`)}</div>`;
  const note = `Latency of each operation (log scale) at the time it was invoked. <span data-stat="latency-marks" data-value="${drawn}">${fmtInt(drawn)}</span> marks drawn for ${fmtInt(ops.length)} operations (marks closer than ${CELL} px are drawn once; the counts are exact).`;
  return chart({ id: 'latency', title: 'Operation latency', note, legend, height: bottom + 22, top: stripTop, bottom, scale: s, faults, under, body: layers.join('') });
}
