// PURE. A run's report as ONE self-contained HTML page: inline CSS and hand-drawn inline SVG (no script, no network:
// it opens from a file on any machine, also offline). Every chart shares one time axis (ms since the run started).
// Numbers a test or a script may read carry data-stat="..." data-value="..." (see header.ts and the charts).
import { esc } from './escape.js';
import { faultsChart } from './faults-chart.js';
import { header } from './header.js';
import { latencyChart } from './latency-chart.js';
import { leaderChart } from './leader-chart.js';
import { metricsCharts } from './metrics-charts.js';
import { timeScale } from './scale.js';
import { STYLE } from './style.js';
import { runTotals } from './summary.js';
import { throughputChart } from './throughput-chart.js';
import type { RunReport } from './types.js';
import { verdictsTable } from './verdicts-table.js';
import { violationsSection } from './violations.js';

export function renderReportHtml(report: RunReport): string {
  const totals = runTotals(report);
  const s = timeScale(totals.endMs);
  const members = report.meta.members;
  const faults = report.faults;
  const title = `etcd-lab run ${report.meta.startedAt}${report.meta.seed === undefined ? '' : ` seed ${report.meta.seed}`}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(report, totals)}
${verdictsTable(report.verdicts)}
${violationsSection(report.violations)}
${faultsChart(faults, s)}
${leaderChart(report.leaders, members, faults, s)}
${latencyChart(report.operations, faults, s)}
${throughputChart(report.operations, faults, s)}
${metricsCharts(report.metrics, members, faults, s)}
<footer>Rendered by etcd-lab from run.json. Times are since the run started (${esc(report.meta.startedAt)}); re-render with <code>etcd-lab report DIR</code>.</footer>
</main>
</body>
</html>
`;
}
