// PURE. The fault windows: one bar per fault (rows so that bars never overlap), each with its text, and the list
// of faults in words.
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { chart, faultEnd } from './svg.js';
import type { TimeScale } from './scale.js';
import type { ReportFault } from './types.js';

const ROW = 26;
const CHAR_PX = 6.6;

/** Greedy rows: each fault goes on the first row whose last bar (with its label) ended before it starts. */
function rows(faults: readonly ReportFault[], s: TimeScale, label: (f: ReportFault) => string): number[] {
  const ends: number[] = [];
  return faults.map((f) => {
    const x = s.x(f.t);
    const right = Math.max(s.x(faultEnd(f, s.endMs)), x + label(f).length * CHAR_PX + 8);
    let r = ends.findIndex((e) => e <= x);
    if (r < 0) r = ends.push(0) - 1;
    ends[r] = right;
    return r;
  });
}

export function faultsChart(faults: readonly ReportFault[], s: TimeScale): string {
  const sorted = [...faults].sort((a, b) => a.t - b.t || a.n - b.n);
  const label = (f: ReportFault): string => `#${f.n} ${f.kind} ${f.members.join(',')}`;
  const row = rows(sorted, s, label);
  const nRows = Math.max(1, ...row.map((r) => r + 1));
  const top = 8;
  const bottom = top + nRows * ROW + 4;
  const bars = sorted
    .map((f, i) => {
      const x = s.x(f.t);
      const w = Math.max(3, s.x(faultEnd(f, s.endMs)) - x);
      const y = top + 4 + row[i]! * ROW;
      const open = f.ms > 0 ? '' : ' open';
      return `<g class="fault${open}" data-fault="${f.n}"><title>#${f.n} at ${esc(fmtMs(f.t))}${f.ms > 0 ? ` for ${esc(fmtMs(f.ms))}` : ', never undone'}: ${esc(f.text)}</title><rect x="${px(x)}" y="${y}" width="${px(w)}" height="${ROW - 6}" rx="3"/><text x="${px(x + 5)}" y="${y + 14}">${esc(label(f))}</text></g>`;
    })
    .join('');
  const list =
    sorted.length === 0
      ? '<p class="empty">No faults in this run.</p>'
      : `<ul class="fault-list">${sorted
          .map(
            (f) =>
              `<li data-fault="${f.n}"><b>#${f.n} ${esc(f.kind)}</b> <span class="when">at ${esc(fmtMs(f.t))}, ${f.ms > 0 ? `for ${esc(fmtMs(f.ms))}` : 'never undone'}:</span> ${esc(f.text)}</li>`,
          )
          .join('')}</ul>`;
  return chart({
    id: 'faults',
    title: 'Faults',
    note: 'Each fault from the moment it took effect until it was undone; the same windows are shaded red in every chart below.',
    height: bottom + 22,
    top,
    bottom,
    scale: s,
    faults: [],
    body: bars,
    after: list,
  });
}
