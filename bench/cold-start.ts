// (5) Cold start of the CLI: `etcd-lab --version` against a bare `node -e ""`, and `etcd-lab status` on a running
// 3-member cluster against `etcdctl endpoint status` on the same members; interleaved, p50 and p95.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, endpointsFrom, lab, runTimed, show } from './cli.js';
import { atMost, faster, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { waitQuiet } from './machine.js';
import { portBlock } from './ports.js';
import { waitReady } from './readiness.js';
import { percentile } from './stats.js';

export interface ColdStartOptions {
  runs: number;
  log: (s: string) => void;
}

async function timeRuns(runs: number, a: () => Promise<number>, b: () => Promise<number>): Promise<[number[], number[]]> {
  const xs: number[] = [];
  const ys: number[] = [];
  await a(); // one unmeasured run each: the page cache holds the files a user's second run finds there
  await b();
  for (let i = 0; i < runs; i++) {
    await waitQuiet();
    if (i % 2 === 0) {
      xs.push(await a());
      ys.push(await b());
    } else {
      ys.push(await b());
      xs.push(await a());
    }
  }
  return [xs, ys];
}

async function ok(p: Promise<{ code: number | null; wallMs: number; stdout: string; stderr: string; signal: NodeJS.Signals | null }>): Promise<number> {
  const r = await p;
  if (r.code !== 0) throw new Error(show(r));
  return r.wallMs;
}

function figures(name: string, xs: number[], ys: number[], label: string, limit?: number): Figure[] {
  return [50, 95].map((p) => {
    const v = percentile(xs, p);
    const b = percentile(ys, p);
    return {
      section: 'cold-start',
      name: `${name}.p${p}`,
      value: v,
      unit: 'ms',
      baseline: { label, value: b, unit: 'ms' },
      ratio: faster(v, b),
      ...(limit !== undefined && p === 50 ? { target: atMost(v, limit, `<= ${limit} ms`) } : {}),
    } satisfies Figure;
  });
}

export async function benchColdStart(o: ColdStartOptions): Promise<Figure[]> {
  const cwd = join(ROOT, 'cold');
  mkdirSync(cwd, { recursive: true });
  const [ver, bare] = await timeRuns(
    o.runs,
    () => ok(runTimed(process.execPath, [BIN, '--version'], { cwd })),
    () => ok(runTimed(process.execPath, ['-e', ''], { cwd })),
  );
  const dir = join(cwd, 'lab');
  let status: number[] = [];
  let etcdctl: number[] = [];
  try {
    const r = await lab(['up', '-d', '-n', '3', '--dir', dir, '--ports', String(await portBlock())], { cwd, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`etcd-lab up -d failed: ${show(r)}`);
    const endpoints = endpointsFrom(r.stdout);
    await waitReady(endpoints);
    [status, etcdctl] = await timeRuns(
      o.runs,
      () => ok(lab(['status', '--dir', dir], { cwd })),
      () => ok(runTimed('etcdctl', ['--endpoints', endpoints.join(','), 'endpoint', 'status', '-w', 'table'], { cwd, env: { ...process.env, ETCDCTL_API: '3' } })),
    );
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
  const r = (xs: number[]): string => xs.map((x) => Math.round(x)).join(' ');
  o.log(`  cold start: --version ${r(ver)} | node -e "" ${r(bare)} | status ${r(status)} | etcdctl endpoint status ${r(etcdctl)}`);
  return [
    ...figures('cold-start.version', ver, bare, 'bare node -e ""', 150),
    ...figures('cold-start.status', status, etcdctl, 'etcdctl endpoint status'),
  ];
}
