// PURE. The top of the page: what ran (command, seed, etcd, members, when, how long) and the totals.
import { esc } from './escape.js';
import { fmtInt, fmtMs } from './format.js';
import type { RunTotals } from './summary.js';
import type { RunReport } from './types.js';

function stat(key: string, value: number, label: string, cls = '', text = fmtInt(value)): string {
  return `<div class="stat ${cls}"><span class="num" data-stat="${key}" data-value="${value}">${esc(text)}</span><span class="label">${esc(label)}</span></div>`;
}

export function header(r: RunReport, t: RunTotals): string {
  const m = r.meta;
  const passed = t.checksFailed === 0 && t.violations === 0;
  const badge =
    t.checks === 0
      ? '<span class="badge unknown" data-stat="result">not checked</span>'
      : passed
        ? '<span class="badge good" data-stat="result">all checks passed</span>'
        : `<span class="badge bad" data-stat="result">${t.checksFailed} check(s) failed</span>`;
  const meta: [string, string, string][] = [
    ['command', 'Command', `<code>${esc(m.command)}</code>`],
    ['seed', 'Seed', m.seed === undefined ? '–' : esc(m.seed)],
    ['etcd-version', 'etcd', esc(m.etcdVersion)],
    ['members', 'Members', `${m.members.length}: ${esc(m.members.join(', '))}`],
    ['started', 'Started', esc(m.startedAt)],
    ['duration', 'Duration', esc(fmtMs(m.durationMs))],
  ];
  return `<header>
<h1>etcd-lab run report ${badge}</h1>
<dl class="meta">${meta.map(([k, label, v]) => `<div><dt>${label}</dt><dd data-meta="${k}">${v}</dd></div>`).join('')}</dl>
<div class="stats">
${stat('ops-total', t.operations, 'operations')}
${stat('ops-ok', t.byOutcome.ok, 'ok', 'ok')}
${stat('ops-fail', t.byOutcome.fail, 'failed', 'fail')}
${stat('ops-unknown', t.byOutcome.unknown, 'unknown', 'unknown')}
${stat('faults', t.faults, 'faults')}
${stat('checks-failed', t.checksFailed, `of ${t.checks} checks failed`, t.checksFailed > 0 ? 'fail' : '')}
${stat('duration-ms', Math.round(m.durationMs), 'duration', '', fmtMs(m.durationMs))}
</div>
</header>`;
}
