// PURE. The frame every time chart shares: the fault windows shaded behind, the time axis below, a y axis.
import { FAULT_FILL } from './colors.js';
import { esc } from './escape.js';
import { fmtAxis, px } from './format.js';
import { linearTicks, WIDTH, type TimeScale, type YScale } from './scale.js';
import type { ReportFault } from './types.js';

/** Where a fault ends on the chart: `ms` 0 means it was never undone, so it lasts to the end. */
export function faultEnd(f: ReportFault, endMs: number): number {
  return f.ms > 0 ? f.t + f.ms : endMs;
}

export function faultShading(faults: readonly ReportFault[], s: TimeScale, top: number, bottom: number): string {
  return faults
    .map((f) => {
      const x = s.x(f.t);
      const w = Math.max(1.5, s.x(faultEnd(f, s.endMs)) - x);
      return `<rect class="fault-shade" x="${px(x)}" y="${px(top)}" width="${px(w)}" height="${px(bottom - top)}" fill="${FAULT_FILL}"><title>#${f.n} ${esc(f.text)}</title></rect>`;
    })
    .join('');
}

/** Vertical grid lines and second labels under the plot. */
export function timeAxis(s: TimeScale, top: number, bottom: number): string {
  const secs = s.endMs / 1000;
  const ticks = linearTicks(0, secs, 10);
  const parts: string[] = [`<line class="axis" x1="${s.x0}" y1="${px(bottom)}" x2="${s.x1}" y2="${px(bottom)}"/>`];
  for (const v of ticks) {
    const x = px(s.x(v * 1000));
    parts.push(`<line class="grid" x1="${x}" y1="${px(top)}" x2="${x}" y2="${px(bottom)}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${px(bottom + 14)}" text-anchor="middle">${fmtAxis(v)} s</text>`);
  }
  return parts.join('');
}

export function yAxis(y: YScale, s: TimeScale, fmt: (v: number) => string = fmtAxis): string {
  return y.ticks
    .map((v) => {
      const yy = px(y.y(v));
      return `<line class="grid" x1="${s.x0}" y1="${yy}" x2="${s.x1}" y2="${yy}"/><text class="tick" x="${s.x0 - 6}" y="${yy}" dy="4" text-anchor="end">${esc(fmt(v))}</text>`;
    })
    .join('');
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title: what is drawn and how to read it. HTML: callers escape what comes from the run. */
  note?: string;
  height: number;
  /** Top and bottom of the plot area (the axis labels go below `bottom`). */
  top: number;
  bottom: number;
  scale: TimeScale;
  faults: readonly ReportFault[];
  /** Drawn over the grid, fault shading and axis. */
  body: string;
  /** Drawn over the shading, under the grid: y axis ticks etc. */
  under?: string;
  /** HTML after the svg (legend, lists). */
  after?: string;
  legend?: string;
}

export function chart(c: ChartSpec): string {
  return `<section class="panel" id="${esc(c.id)}">
<h2>${esc(c.title)}</h2>${c.note ? `<p class="note">${c.note}</p>` : ''}${c.legend ?? ''}
<svg class="chart" viewBox="0 0 ${WIDTH} ${c.height}" width="${WIDTH}" height="${c.height}" role="img" aria-label="${esc(c.title)}">
${faultShading(c.faults, c.scale, c.top, c.bottom)}${c.under ?? ''}${timeAxis(c.scale, c.top, c.bottom)}
${c.body}
</svg>${c.after ?? ''}
</section>`;
}

/** A little coloured box and its label, for legends. */
export function swatch(color: string, label: string, cls = ''): string {
  return `<span class="swatch ${cls}"><i style="background:${color}"></i>${esc(label)}</span>`;
}
