// (1) Time to ready: `etcd-lab up -d` (wall clock, and the supervisor's own figure) against the same plan
// spawned all at once, interleaved run by run so both sides see the same machine.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Profile } from '../src/plan/types.js';
import { planFor, spawnAll } from './all-at-once.js';
import { lab, show } from './cli.js';
import { atLeast, atMost, faster, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { QUIET_SHARE, waitQuiet } from './machine.js';
import { portBlock } from './ports.js';
import { waitReady } from './readiness.js';
import { percentile } from './stats.js';

export interface ReadyOptions {
  sizes: number[];
  profiles: Profile[];
  runs: number;
  log: (s: string) => void;
}

interface Samples {
  wall: number[];
  reported: number[];
  baseline: number[];
  failures: string[];
  /** Share of the cores busy just before each run (other work on the machine). */
  busy: number[];
}

async function labRun(n: number, profile: Profile, tag: string): Promise<{ wall: number; reported: number }> {
  const cwd = join(ROOT, 'ready', `${tag}-up`);
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  try {
    const base = await portBlock();
    const r = await lab(['up', '-d', '-n', String(n), '--profile', profile, '--dir', dir, '--ports', String(base)], { cwd, timeoutMs: 90_000 });
    if (r.code !== 0) throw new Error(`etcd-lab up -d failed: ${show(r)}`);
    const m = /cluster ready in (\d+) ms/.exec(r.stdout);
    if (!m) throw new Error(`no "cluster ready in" line: ${show(r)}`);
    return { wall: r.wallMs, reported: Number(m[1]) };
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function baselineRun(n: number, profile: Profile, tag: string): Promise<number> {
  const cwd = join(ROOT, 'ready', `${tag}-all`);
  const { plan, etcdPath } = await planFor({ nodes: n, profile, dir: join(cwd, 'lab'), portBase: await portBlock() });
  const t0 = performance.now();
  const s = spawnAll(plan, etcdPath);
  try {
    await waitReady(plan.members.map((m) => m.clientURL), { intervalMs: 10, timeoutMs: 90_000 });
    return performance.now() - t0;
  } finally {
    await s.kill();
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

interface Pair {
  wall?: number;
  reported?: number;
  baseline?: number;
  /** The busiest share of the cores seen right before either side. */
  busy: number;
  failure?: string;
}

async function measurePair(n: number, profile: Profile, tag: string, labFirst: boolean): Promise<Pair> {
  const pair: Pair = { busy: 0 };
  const sides = [
    async () => {
      const r = await labRun(n, profile, tag);
      pair.wall = r.wall;
      pair.reported = r.reported;
    },
    async () => {
      pair.baseline = await baselineRun(n, profile, tag);
    },
  ];
  if (!labFirst) sides.reverse();
  for (const side of sides) {
    pair.busy = Math.max(pair.busy, await waitQuiet());
    try {
      await side();
    } catch (e) {
      pair.failure = (e as Error).message.split('\n')[0]!;
    }
  }
  return pair;
}

/**
 * `runs` pairs (etcd-lab, all-at-once) per size and profile. A pair that had to start while other work kept the
 * cores busy is measured again later (up to `runs` extra pairs); if quiet pairs stay too few, the least busy of the
 * others fill up, and the figure's note says how many.
 */
export async function benchReady(o: ReadyOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  // One unmeasured start first, as a user's second `up -d` finds things: the page cache, and the compile cache of
  // `up` and of the background supervisor (written when each process ends: see src/cli/launch.cts).
  await labRun(3, 'fast', 'warm-up');
  for (const profile of o.profiles) {
    for (const n of o.sizes) {
      const kept: Pair[] = [];
      const busyPairs: Pair[] = [];
      for (let i = 0; kept.length < o.runs && i < 2 * o.runs; i++) {
        const p = await measurePair(n, profile, `${profile}-${n}-${i}`, i % 2 === 0);
        (p.busy <= QUIET_SHARE ? kept : busyPairs).push(p);
      }
      const retried = busyPairs.length;
      busyPairs.sort((a, b) => a.busy - b.busy);
      let filled = 0;
      while (kept.length < o.runs && busyPairs.length > 0) {
        kept.push(busyPairs.shift()!);
        filled++;
      }
      const s: Samples = {
        wall: kept.flatMap((p) => (p.wall === undefined ? [] : [p.wall])),
        reported: kept.flatMap((p) => (p.reported === undefined ? [] : [p.reported])),
        baseline: kept.flatMap((p) => (p.baseline === undefined ? [] : [p.baseline])),
        failures: kept.flatMap((p) => (p.failure === undefined ? [] : [p.failure])),
        busy: kept.map((p) => p.busy),
      };
      const busyNote =
        retried === 0
          ? ''
          : filled === 0
            ? `${retried} pair(s) measured again: the cores were busy with other work`
            : `${filled} of ${o.runs} pairs started while other work kept over ${Math.round(100 * QUIET_SHARE)} % of the cores busy`;
      o.log(
        `  ready ${profile} n=${n}: up -d ${s.wall.map((x) => Math.round(x)).join(' ')} | supervisor ${s.reported.join(' ')} | all-at-once ${s.baseline.map((x) => Math.round(x)).join(' ')}${s.failures.length ? ` | failures: ${s.failures.join('; ')}` : ''} | cores busy before each pair: ${s.busy.map((b) => Math.round(100 * b)).join(' ')} %${busyNote ? ` | ${busyNote}` : ''}`,
      );
      figures.push(...readyFigures(profile, n, s, filled > 0 ? busyNote : undefined));
    }
  }
  return figures;
}

function readyFigures(profile: Profile, n: number, s: Samples, busyNote?: string): Figure[] {
  const out: Figure[] = [];
  const notes = [...(s.failures.length ? [`${s.failures.length} failed run(s): ${s.failures[0]}`] : []), ...(busyNote ? [busyNote] : [])];
  const note = notes.length ? notes.join('; ') : undefined;
  for (const p of [50, 95] as const) {
    const base = percentile(s.baseline, p);
    const baseline = { label: 'all-at-once', value: base, unit: 'ms' as const };
    for (const [what, values] of [['up-d', s.wall], ['supervisor', s.reported]] as const) {
      const v = percentile(values, p);
      const f: Figure = {
        section: 'ready',
        name: `ready.${profile}.n${n}.${what}.p${p}`,
        value: v,
        unit: 'ms',
        baseline,
        ratio: faster(v, base),
        ...(note ? { note } : {}),
      };
      if (what === 'up-d' && p === 95 && profile === 'fast' && n === 5) f.target = atMost(v, 600, '<= 600 ms');
      if (what === 'up-d' && p === 95 && profile === 'fast' && n === 9) f.target = atMost(v, 1200, '<= 1200 ms');
      out.push(f);
      if (what === 'up-d' && p === 95 && n === 5) {
        out.push({
          section: 'ready',
          name: `ready.${profile}.n${n}.speedup.p95`,
          value: base / v,
          unit: 'x',
          baseline,
          ratio: { value: base / v, text: 'all-at-once p95 / up -d p95' },
          target: atLeast(base / v, 5, '>= 5x'),
        });
      }
    }
  }
  return out;
}
