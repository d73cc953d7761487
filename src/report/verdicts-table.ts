// PURE. The checkers' verdicts, one row each.
import { esc } from './escape.js';
import type { CheckVerdict, Verdict } from './types.js';

export function isBad(v: Verdict): boolean {
  return v === 'failed' || v === 'not-linearizable';
}

export function verdictsTable(verdicts: readonly CheckVerdict[]): string {
  const body =
    verdicts.length === 0
      ? '<p class="empty">No checker ran on this run.</p>'
      : `<table class="verdicts"><thead><tr><th>Check</th><th>Verdict</th><th>Detail</th></tr></thead><tbody>${verdicts
          .map(
            (v) =>
              `<tr data-check="${esc(v.name)}" data-verdict="${esc(v.verdict)}"><td>${esc(v.name)}</td><td><span class="badge ${isBad(v.verdict) ? 'bad' : v.verdict === 'unknown' ? 'unknown' : 'good'}">${esc(v.verdict)}</span></td><td>${esc(v.detail)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<section class="panel" id="verdicts"><h2>Checks</h2>${body}</section>`;
}
