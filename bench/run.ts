// `npm run bench` — every figure in BENCHMARKS.md. `-- --quick`: a reduced set in under 2 minutes, printed only.
// `-- --only ready,runners,start-trace,failover,proxy,supervisor,cold-start,report,check`: measures those sections again and keeps the others in
// BENCHMARKS.md. `--out FILE` writes elsewhere (also for --quick); `--no-build` uses dist/ as it is.
// `-- --only long-chaos`: the 10-minute chaos run per etcd version (opt-in: about 11 minutes a version).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchCheck } from './check.js';
import { benchColdStart } from './cold-start.js';
import { BIN, REPO } from './cli.js';
import { benchFailover } from './failover.js';
import { benchLongChaos } from './long-chaos.js';
import { line, type Figure } from './figure.js';
import { installHygiene, ROOT, sweepSync } from './hygiene.js';
import { busyness, describeMachine, dropExtraCaCerts, quiet as quietGate } from './machine.js';
import { benchProxy } from './proxy-cost.js';
import { benchReady } from './ready.js';
import { benchRunners } from './runners.js';
import { benchStartTrace } from './start-trace.js';
import { benchReportCost } from './report-cost.js';
import { readReportData, renderReport, type SectionRun } from './report.js';
import { benchSupervisor } from './supervisor-cost.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    // Writes BENCHMARKS.md again from the figures stored in it and bench/findings.md, measuring nothing.
    render: { type: 'boolean', default: false },
  },
});
const quick = values.quick === true;
if (quick) quietGate.maxWaitMs = 600;

type Log = (s: string) => void;
interface Section {
  key: string;
  title: string;
  run: (log: Log) => Promise<Figure[]>;
  /** Only with `--only KEY` (too long for every run). */
  optIn?: boolean;
}

const sections: Section[] = [
  {
    key: 'ready',
    title: '1. Time to ready: `etcd-lab up -d` vs all members spawned at once',
    run: (log) =>
      benchReady(
        quick
          ? { sizes: [3, 5], profiles: ['fast'], runs: 3, log }
          : { sizes: [3, 5, 7, 9], profiles: ['fast', 'default'], runs: 10, log },
      ),
  },
  {
    key: 'runners',
    title: '1b. Time to ready from the command\'s start: `etcd-lab up -d` vs Procfile runners on its exported Procfile',
    run: (log) => benchRunners(quick ? { sizes: [3, 5], rounds: 3, log } : { sizes: [3, 5, 9], rounds: 10, log }),
  },
  {
    key: 'start-trace',
    title: '1c. Before the first member: each step of `etcd-lab up -d` (3 members, fast), ms from the command\'s start',
    run: (log) => benchStartTrace({ nodes: 3, rounds: quick ? 3 : 10, log }),
  },
  {
    key: 'failover',
    title: "2. Failover: SIGKILL the leader; etcd-lab's report vs the new leader's own log line",
    run: (log) => benchFailover(quick ? { profiles: ['fast'], nodes: 5, runs: 3, log } : { profiles: ['fast', 'default'], nodes: 5, runs: 10, log }),
  },
  {
    key: 'proxy',
    title: '3. Proxy cost: 16 writers, `--chaos` with no faults vs without',
    run: (log) => benchProxy(quick ? { rounds: 2, durationMs: 2000, writers: 16, log } : { rounds: 4, durationMs: 4000, writers: 16, log }),
  },
  {
    key: 'supervisor',
    title: '4. The supervisor itself: memory, CPU, log lines carried',
    run: (log) => benchSupervisor(quick ? { idleMs: 2000, heavyMs: 3000, writers: 16, log } : { idleMs: 5000, heavyMs: 10_000, writers: 16, log }),
  },
  {
    key: 'cold-start',
    title: '5. CLI cold start: `etcd-lab --version` and `etcd-lab status`',
    run: (log) => benchColdStart({ runs: quick ? 5 : 10, log }),
  },
  {
    key: 'report',
    title: '6. The run report: render time and page size for 50,000 operations; the metrics sampler\'s CPU',
    run: (log) => benchReportCost(quick ? { operations: 50_000, renders: 3, samplerMs: 3000, log } : { operations: 50_000, renders: 7, samplerMs: 10_000, log }),
  },
  {
    key: 'check',
    title: '7. Linearizability check: the 52 Jepsen etcd histories and the key-value ones, vs porcupine',
    run: (log) => benchCheck({ runs: 3, log }),
  },
  {
    key: 'long-chaos',
    title: '8. Ten minutes of chaos on 5 members: operations recorded, time to check them, violations (per etcd version)',
    run: (log) => benchLongChaos({ duration: process.env.LONG_CHAOS_DURATION ?? (quick ? '1m' : '10m'), pauseDuration: process.env.LONG_CHAOS_DURATION ?? (quick ? '1m' : '3m'), seed: 8, log }),
    optIn: true,
  },
];

function build(): void {
  if (values['no-build']) return;
  const t0 = performance.now();
  for (const step of [[join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json')], [join(REPO, 'scripts/bundle.mjs')]]) {
    const r = spawnSync(process.execPath, step, { cwd: REPO, encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(`bench: the build reported errors (continuing with what it emitted):\n${(r.stdout + r.stderr).split('\n').slice(0, 10).join('\n')}\n`);
    }
  }
  if (!existsSync(BIN)) throw new Error(`no ${BIN}: the build failed`);
  process.stderr.write(`bench: built dist/ in ${Math.round(performance.now() - t0)} ms\n`);
}

async function main(): Promise<number> {
  if (values.render) {
    const out = values.out ?? join(REPO, 'BENCHMARKS.md');
    writeFileSync(out, renderReport({ sections: readReportData(out), findingsFile: join(REPO, 'bench', 'findings.md') }));
    process.stderr.write(`bench: rendered ${out} from its stored figures\n`);
    return 0;
  }
  installHygiene();
  const only = values.only?.split(',').map((s) => s.trim());
  const chosen = sections.filter((s) => (only ? only.includes(s.key) : !s.optIn));
  if (only && chosen.length !== only.length) {
    process.stderr.write(`bench: --only takes ${sections.map((s) => s.key).join(', ')}\n`);
    return 2;
  }
  const t0 = performance.now();
  build();
  const machine = describeMachine(dropExtraCaCerts());
  process.stderr.write(`bench: ${quick ? 'quick' : 'full'} run in ${ROOT}; ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, etcd ${machine.etcd}\n`);
  const runs: SectionRun[] = [];
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  let failed = false;
  for (const s of chosen) {
    const log: string[] = [];
    const say: Log = (text) => {
      log.push(text);
      process.stderr.write(`${text}\n`);
    };
    process.stderr.write(`bench: ${s.title}\n`);
    const before = busyness();
    const started = performance.now();
    let figures: Figure[] = [];
    let error: string | undefined;
    try {
      figures = await s.run(say);
    } catch (e) {
      failed = true;
      error = (e as Error).message.split('\n').slice(0, 3).join(' ');
      process.stderr.write(`bench: ${s.key} failed: ${(e as Error).stack ?? String(e)}\n`);
    } finally {
      const left = sweepSync();
      if (left > 0) process.stderr.write(`bench: ${s.key} left ${left} process(es) running; killed them\n`);
    }
    for (const f of figures) process.stdout.write(`${line(f)}\n`);
    runs.push({ key: s.key, title: s.title, figures, log, seconds: (performance.now() - started) / 1000, busy: { before, after: busyness() }, ...(error ? { error } : {}), machine: { ...machine, date: new Date().toISOString() }, command });
  }
  const out = values.out ?? (quick ? undefined : join(REPO, 'BENCHMARKS.md'));
  if (out) {
    // --only refreshes its sections and keeps the others from the file (each says when it was measured).
    const kept = only ? readReportData(out).filter((r) => !runs.some((x) => x.key === r.key)) : [];
    const order = sections.map((s) => s.key);
    const all = [...kept, ...runs].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
    writeFileSync(out, renderReport({ sections: all, findingsFile: join(REPO, 'bench', 'findings.md') }));
    process.stderr.write(`bench: wrote ${out}${kept.length ? ` (kept ${kept.map((k) => k.key).join(', ')} from it)` : ''}\n`);
  }
  process.stderr.write(`bench: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
