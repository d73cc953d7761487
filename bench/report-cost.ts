// (6) The run report: how long renderReportHtml takes and how big the page is for a 50,000-operation run, and
// what the metrics sampler costs this process per round (GET /metrics of 5 members, parse, keep 6 values).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startMetricsSampler } from '../src/chaos/metrics-sampler.js';
import { RemoteLab } from '../src/chaos/remote-lab.js';
import { renderReportHtml } from '../src/report/html.js';
import { lab, show } from './cli.js';
import { atMost, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { portBlock } from './ports.js';
import { percentile, sleep } from './stats.js';
import { syntheticRun } from './synthetic-run.js';

export interface ReportCostOptions {
  operations: number;
  renders: number;
  samplerMs: number;
  log: (s: string) => void;
}

const SECTION = 'report';

function render(o: ReportCostOptions): Figure[] {
  const run = syntheticRun({ operations: o.operations, durationMs: 120_000 });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < o.renders; i++) {
    const t = performance.now();
    bytes = Buffer.byteLength(renderReportHtml(run));
    times.push(performance.now() - t);
  }
  const json = Buffer.byteLength(JSON.stringify(run));
  o.log(`report: ${o.operations} operations, 120 s, 5 members: render p50 ${percentile(times, 50).toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')}), page ${bytes} bytes, run.json ${json} bytes`);
  return [
    { section: SECTION, name: `render ${o.operations.toLocaleString('en-US')} operations (p50)`, value: percentile(times, 50), unit: 'ms', target: atMost(percentile(times, 50), 2000, '<= 2 s') },
    { section: SECTION, name: `page size, ${o.operations.toLocaleString('en-US')} operations`, value: bytes / 1e6, unit: 'MB', target: atMost(bytes / 1e6, 2, '<= 2 MB'), note: `run.json ${(json / 1e6).toFixed(1)} MB` },
  ];
}

async function sampler(o: ReportCostOptions): Promise<Figure[]> {
  const cwd = join(ROOT, 'report-sampler');
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  try {
    const r = await lab(['up', '-d', '-n', '5', '--dir', dir, '--ports', String(await portBlock())], { cwd, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`etcd-lab up -d failed: ${show(r)}`);
    const remote = await RemoteLab.connect(dir);
    try {
      // Baseline: this process alone over the same time (the control socket connection, timers).
      const c0 = process.cpuUsage();
      await sleep(o.samplerMs);
      const idle = process.cpuUsage(c0);
      const everyMs = 100;
      const t0 = performance.now();
      const c1 = process.cpuUsage();
      const s = startMetricsSampler(remote, { everyMs, t0 });
      await sleep(o.samplerMs);
      const samples = await s.stop();
      const busy = process.cpuUsage(c1);
      // One answer = one (member, time) pair; a round asks all 5 members.
      const answers = new Set(samples.map((x) => `${x.member} ${x.t}`)).size;
      const perRound = ((busy.user + busy.system - idle.user - idle.system) / 1000 / Math.max(answers, 1)) * 5;
      o.log(`report: sampler every ${everyMs} ms for ${o.samplerMs} ms: ${answers} answers (${(answers / 5).toFixed(0)} rounds), ${samples.length} values, CPU ${((busy.user + busy.system) / 1000).toFixed(0)} ms (idle baseline ${((idle.user + idle.system) / 1000).toFixed(0)} ms)`);
      return [{ section: SECTION, name: 'metrics sampler CPU per round, 5 members', value: perRound, unit: 'ms', target: atMost(perRound, 25, '<= 25 ms (2.5 % of one core at the default 1 round/s)'), note: `${answers} answers` }];
    } finally {
      remote.close();
    }
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function benchReportCost(o: ReportCostOptions): Promise<Figure[]> {
  // The sampler first: the render's big objects must not be collected inside the sampler's CPU window.
  const s = await sampler(o);
  return [...render(o), ...s];
}
