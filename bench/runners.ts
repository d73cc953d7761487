// (1b) Time to ready from the command's start, side by side in one run: the same exported Procfile under a raw
// all-at-once spawn (this process spawns each line, no runner), Debian's foreman, `etcd-lab start -f`, goreman and
// honcho when on PATH, and `etcd-lab up -d` on the same plan. Rounds alternate the order of the runners. Wall time:
// from just before the spawn until every member's /health is true and all name one leader (bench/readiness.ts);
// for `up -d`, until it exits (it exits once ready; the same check then confirms it at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findOnPath } from '../src/etcd/which.js';
import { BIN, lab, show } from './cli.js';
import { atMost, faster, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { waitQuiet } from './machine.js';
import { portBlock } from './ports.js';
import { waitReady } from './readiness.js';
import { percentile } from './stats.js';

export interface RunnersOptions {
  sizes: number[];
  rounds: number;
  log: (s: string) => void;
}

type Runner = { name: string; start: (cwd: string, n: number, base: number) => ChildProcess[] | 'up' };

const env = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1' });
const detached = (file: string, args: string[], cwd: string): ChildProcess => {
  const c = spawn(file, args, { cwd, env: env(), detached: true, stdio: 'ignore' });
  c.on('error', () => undefined);
  return c;
};

function procfileLines(cwd: string): string[] {
  return readFileSync(join(cwd, 'Procfile'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z0-9_-]+:/.test(l))
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
}

function runners(): Runner[] {
  const list: Runner[] = [
    { name: 'all-at-once', start: (cwd) => procfileLines(cwd).map((cmd) => detached('sh', ['-c', `exec ${cmd}`], cwd)) },
    { name: 'foreman', start: (cwd) => [detached('foreman', ['start', '-f', 'Procfile'], cwd)] },
    { name: 'start-f', start: (cwd) => [detached(process.execPath, [BIN, 'start', '-f', 'Procfile'], cwd)] },
    { name: 'up-d', start: () => 'up' },
  ];
  if (findOnPath('goreman', process.env)) list.push({ name: 'goreman', start: (cwd) => [detached('goreman', ['-f', 'Procfile', 'start'], cwd)] });
  if (findOnPath('honcho', process.env)) list.push({ name: 'honcho', start: (cwd) => [detached('honcho', ['start', '-f', 'Procfile'], cwd)] });
  return list.filter((r) => r.name !== 'foreman' || findOnPath('foreman', process.env));
}

function endpoints(n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => `http://127.0.0.1:${base + 2 * i}`);
}

async function stopGroups(children: ChildProcess[], cwd: string): Promise<void> {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await ensureGone(cwd, 5000);
}

async function once(r: Runner, n: number, tag: string): Promise<number> {
  const cwd = join(ROOT, 'runners', tag);
  mkdirSync(cwd, { recursive: true });
  const base = await portBlock();
  try {
    const p = await lab(['procfile', '-n', String(n), '--profile', 'fast', '--ports', String(base), '-o', 'Procfile'], { cwd });
    if (p.code !== 0) throw new Error(`etcd-lab procfile failed: ${show(p)}`);
    if (r.name === 'up-d') {
      const t0 = performance.now();
      const u = await lab(['up', '-d', '-n', String(n), '--profile', 'fast', '--dir', 'lab', '--ports', String(base)], { cwd, timeoutMs: 60_000 });
      const wall = performance.now() - t0;
      if (u.code !== 0) throw new Error(`up -d failed: ${show(u)}`);
      await waitReady(endpoints(n, base), { timeoutMs: 1000 });
      await lab(['down', '--dir', 'lab'], { cwd, timeoutMs: 30_000 });
      return wall;
    }
    const t0 = performance.now();
    const children = r.start(cwd, n, base) as ChildProcess[];
    try {
      await waitReady(endpoints(n, base), { intervalMs: 10, timeoutMs: 60_000 });
      return performance.now() - t0;
    } finally {
      await stopGroups(children, cwd);
    }
  } finally {
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function benchRunners(o: RunnersOptions): Promise<Figure[]> {
  const list = runners();
  const figures: Figure[] = [];
  for (const n of o.sizes) {
    const samples = new Map<string, number[]>(list.map((r) => [r.name, []]));
    const failures: string[] = [];
    for (let round = 0; round < o.rounds; round++) {
      // Each round starts with another runner, and every other round runs them in reverse.
      const order = [...list.slice(round % list.length), ...list.slice(0, round % list.length)];
      if (round % 2 === 1) order.reverse();
      for (const r of order) {
        await waitQuiet();
        try {
          samples.get(r.name)!.push(await once(r, n, `n${n}-${round}-${r.name}`));
        } catch (e) {
          failures.push(`${r.name}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
    o.log(`  runners n=${n}: ${[...samples].map(([k, v]) => `${k} ${v.map((x) => Math.round(x)).join(' ')}`).join(' | ')}${failures.length ? ` | failures: ${failures.join('; ')}` : ''}`);
    figures.push(...runnerFigures(n, samples, failures));
  }
  return figures;
}

function runnerFigures(n: number, samples: Map<string, number[]>, failures: string[]): Figure[] {
  const out: Figure[] = [];
  const med = (k: string): number => percentile(samples.get(k) ?? [], 50);
  const max = (k: string): number => Math.max(...(samples.get(k) ?? [NaN]));
  const runnersAtOnce = [...samples.keys()].filter((k) => k !== 'up-d' && (samples.get(k)?.length ?? 0) > 0);
  const fastest = runnersAtOnce.reduce((a, b) => (med(b) < med(a) ? b : a), runnersAtOnce[0] ?? 'all-at-once');
  const note = failures.length ? `${failures.length} failed run(s): ${failures[0]}` : undefined;
  for (const k of samples.keys()) {
    for (const [stat, v] of [['p50', med(k)], ['max', max(k)]] as const) {
      const f: Figure = { section: 'runners', name: `runners.fast.n${n}.${k}.${stat}`, value: v, unit: 'ms', ...(note ? { note } : {}) };
      if (k !== fastest) {
        const b = stat === 'p50' ? med(fastest) : max(fastest);
        f.baseline = { label: `${fastest} ${stat}`, value: b, unit: 'ms' };
        f.ratio = faster(v, b);
      }
      if (k === 'up-d' && stat === 'p50' && n === 3) f.target = atMost(v, 300, '<= 300 ms');
      if (k === 'up-d' && stat === 'p50' && n === 9) f.target = atMost(v, 900, '<= 900 ms');
      if (k === 'up-d' && stat === 'p50' && n === 5) f.target = atMost(v, med(fastest), `<= the fastest all-at-once runner's p50 (${fastest})`);
      if (k === 'up-d' && stat === 'max' && n === 5) f.target = atMost(v, 1.2 * med('up-d'), '<= 1.2x its own p50');
      if (k === 'start-f' && stat === 'p50' && samples.has('foreman')) f.target = atMost(v, med('foreman'), '<= foreman p50');
      out.push(f);
    }
  }
  return out;
}
