// PURE. Each violation: its explanation, the operations that form it as bars per client over invoke..return (an
// unknown one runs to the right edge), and the same operations as a table.
import type { RegisterOperation } from '../check/history.js';
import { OUTCOME_COLOR } from './colors.js';
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { opText } from './op-text.js';
import { linearTicks, timeScale, WIDTH } from './scale.js';
import type { Violation } from './types.js';

const ROW = 40;

function opsChart(ops: readonly RegisterOperation[]): string {
  if (ops.length === 0) return '';
  let from = Infinity;
  let to = -Infinity;
  for (const o of ops) {
    from = Math.min(from, o.invoke);
    to = Math.max(to, o.return ?? o.invoke, o.invoke);
  }
  const span = Math.max(to - from, 1);
  const lo = Math.max(0, from - span * 0.05);
  const hi = to + span * 0.2;
  const base = timeScale(hi - lo);
  const x = (t: number): number => base.x(t - lo);
  const clients = [...new Set(ops.map((o) => o.client))].sort();
  const top = 6;
  const bottom = top + clients.length * ROW + 4;
  const parts: string[] = [];
  clients.forEach((c, i) => {
    parts.push(`<text class="row-label" x="${base.x0 - 8}" y="${top + i * ROW + 30}" text-anchor="end">${esc(c)}</text>`);
  });
  for (const o of ops) {
    const r = clients.indexOf(o.client);
    const x0 = x(o.invoke);
    const end = o.return ?? hi;
    const w = Math.max(2, x(end) - x0);
    const y = top + r * ROW + 20;
    const cls = o.return === undefined ? ' open' : '';
    parts.push(
      `<g class="vop ${o.outcome}${cls}" data-op="${o.id}"><title>#${o.id} ${esc(o.client)}${o.member ? ` on ${esc(o.member)}` : ''}: ${esc(opText(o))}, ${esc(fmtMs(o.invoke))} – ${o.return === undefined ? 'no answer' : esc(fmtMs(o.return))}${o.error ? ` (${esc(o.error)})` : ''}</title><rect x="${px(x0)}" y="${y}" width="${px(w)}" height="14" rx="3" fill="${OUTCOME_COLOR[o.outcome]}"/><text x="${px(x0)}" y="${y - 4}">${esc(opText(o))}</text></g>`,
    );
  }
  const ticks = linearTicks(lo, hi, 8)
    .map((t) => `<line class="grid" x1="${px(x(t))}" y1="${top}" x2="${px(x(t))}" y2="${bottom}"/><text class="tick" x="${px(x(t))}" y="${bottom + 14}" text-anchor="middle">${esc(fmtMs(t))}</text>`)
    .join('');
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${bottom + 22}" width="${WIDTH}" height="${bottom + 22}" role="img" aria-label="the operations of the violation">${ticks}${parts.join('')}</svg>`;
}

function opsTable(ops: readonly RegisterOperation[]): string {
  const rows = [...ops]
    .sort((a, b) => a.invoke - b.invoke)
    .map(
      (o) =>
        `<tr data-op="${o.id}"><td>${o.id}</td><td>${esc(o.client)}</td><td>${esc(o.member ?? '')}</td><td><code>${esc(opText(o))}</code></td><td><span class="badge ${o.outcome === 'ok' ? 'good' : o.outcome === 'fail' ? 'bad' : 'unknown'}">${o.outcome}</span></td><td>${esc(fmtMs(o.invoke))}</td><td>${o.return === undefined ? '–' : esc(fmtMs(o.return))}</td><td>${esc(o.revision ?? '')}</td><td>${esc(o.error ?? '')}</td></tr>`,
    )
    .join('');
  return `<table class="ops"><thead><tr><th>#</th><th>Client</th><th>Member</th><th>Operation</th><th>Outcome</th><th>Invoked</th><th>Returned</th><th>Revision</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function violationsSection(violations: readonly Violation[]): string {
  if (violations.length === 0) return '';
  const blocks = violations
    .map(
      (v, i) =>
        `<article class="violation" data-violation="${i + 1}"><h3>${esc(v.checker)}: ${v.operations.length} operation(s)</h3><p class="explanation">${esc(v.explanation)}</p>${opsChart(v.operations)}${opsTable(v.operations)}</article>`,
    )
    .join('');
  return `<section class="panel bad" id="violations"><h2>Violations (<span data-stat="violations" data-value="${violations.length}">${violations.length}</span>)</h2>${blocks}</section>`;
}
