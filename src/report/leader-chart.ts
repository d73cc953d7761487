// PURE. Who led, and in which term, over time: one row per member (a bar while it led, labelled with the term)
// and a row for the time without any leader.
import { memberColor, NO_LEADER } from './colors.js';
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { chart } from './svg.js';
import type { TimeScale } from './scale.js';
import type { LeaderSample, ReportFault } from './types.js';

export interface LeaderSpan {
  from: number;
  to: number;
  leader: string | null;
  term: number | null;
}

/** The samples as spans (each lasts until the next sample, the last until `endMs`); equal neighbours merged. */
export function leaderSpans(samples: readonly LeaderSample[], endMs: number): LeaderSpan[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const out: LeaderSpan[] = [];
  sorted.forEach((s, i) => {
    const to = i + 1 < sorted.length ? sorted[i + 1]!.t : Math.max(endMs, s.t);
    const last = out[out.length - 1];
    // An observation that did not learn the term (null) continues the span of the same leader.
    if (last && last.leader === s.leader && (last.term === s.term || s.term === null || last.term === null)) {
      last.to = to;
      last.term ??= s.term;
    } else out.push({ from: s.t, to, leader: s.leader, term: s.term });
  });
  return out;
}

/** Times a new leader (or a new term of a leader) took over after another or after none (the first one is not a change). */
export function leaderChanges(spans: readonly LeaderSpan[]): number {
  const led = spans.filter((s) => s.leader !== null);
  let n = 0;
  for (let i = 1; i < led.length; i++) if (led[i]!.leader !== led[i - 1]!.leader || led[i]!.term !== led[i - 1]!.term) n++;
  return n;
}

const ROW = 22;

export function leaderChart(samples: readonly LeaderSample[], members: readonly string[], faults: readonly ReportFault[], s: TimeScale): string {
  const spans = leaderSpans(samples, s.endMs);
  const names = [...members];
  for (const sp of spans) if (sp.leader !== null && !names.includes(sp.leader)) names.push(sp.leader);
  const rows = [...names, null];
  const top = 6;
  const bottom = top + rows.length * ROW + 4;
  const rowOf = (l: string | null): number => rows.indexOf(l);
  const labels = rows
    .map((r, i) => `<text class="row-label" x="${s.x0 - 8}" y="${top + i * ROW + 15}" text-anchor="end">${r === null ? 'no leader' : esc(r)}</text>`)
    .join('');
  const bars = spans
    .map((sp) => {
      const x = s.x(sp.from);
      const w = Math.max(1, s.x(sp.to) - x);
      const y = top + rowOf(sp.leader) * ROW + 3;
      const color = sp.leader === null ? NO_LEADER : memberColor(members, sp.leader);
      const what = sp.leader === null ? 'no leader' : `${sp.leader} leads${sp.term !== null ? `, term ${sp.term}` : ''}`;
      const text = sp.leader !== null && sp.term !== null && w > 56 ? `<text class="in-bar" x="${px(x + 5)}" y="${y + 12}">term ${sp.term}</text>` : '';
      return `<g class="leader-span"><title>${esc(what)}: ${esc(fmtMs(sp.from))} – ${esc(fmtMs(sp.to))} (${esc(fmtMs(sp.to - sp.from))})</title><rect x="${px(x)}" y="${y}" width="${px(w)}" height="${ROW - 6}" rx="2" fill="${color}"/>${text}</g>`;
    })
    .join('');
  const withoutMs = spans.filter((sp) => sp.leader === null).reduce((a, sp) => a + (sp.to - sp.from), 0);
  const note =
    samples.length === 0
      ? 'No leader observations were recorded.'
      : `<span data-stat="leader-changes" data-value="${leaderChanges(spans)}">${leaderChanges(spans)}</span> leader change(s); <span data-stat="no-leader-ms" data-value="${Math.round(withoutMs)}">${esc(fmtMs(withoutMs))}</span> without a leader in all.`;
  return chart({ id: 'leader', title: 'Leader and term', note, height: bottom + 22, top, bottom, scale: s, faults, body: labels + bars });
}
