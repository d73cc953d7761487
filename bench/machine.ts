// What the figures were measured on, and how busy the machine was meanwhile (other work shares the cores).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { REPO } from './cli.js';
import { ROOT } from './hygiene.js';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  etcd: string;
  commit: string;
  /** Set when the environment had NODE_EXTRA_CA_CERTS: what it costs every Node start (the bench runs without it). */
  extraCaCerts?: { file: string; withMs: number; withoutMs: number };
  /** Whether the CLI ran with its compile cache (src/cli/launch.cts); absent in reports older than the cache. */
  compileCache?: boolean;
}

/** p50 wall time of `node -e ""` in `env`, ms. */
function nodeStartMs(env: NodeJS.ProcessEnv, runs = 7): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ['-e', ''], { env, stdio: 'ignore' });
    xs.push(performance.now() - t0);
  }
  return xs.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * Node reads every certificate in NODE_EXTRA_CA_CERTS at each start (tens of ms for a distribution's bundle), a cost
 * of this machine's environment, not of etcd-lab: it is measured once, then removed for every process the bench runs.
 */
export function dropExtraCaCerts(): Machine['extraCaCerts'] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined) return undefined;
  const withMs = nodeStartMs(process.env);
  delete process.env.NODE_EXTRA_CA_CERTS;
  return { file, withMs, withoutMs: nodeStartMs(process.env) };
}

function output(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(extraCaCerts?: Machine['extraCaCerts']): Machine {
  const cpus = os.cpus();
  const dirty = output('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    date: new Date().toISOString(),
    cpu: `${cpus[0]?.model ?? 'unknown'}${cpus[0]?.speed ? ` (${cpus[0].speed} MHz)` : ''}`,
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    etcd: /etcd Version: (\S+)/.exec(output('etcd', ['--version']))?.[1] ?? 'unknown',
    commit: `${output('git', ['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes' : ''}`,
    ...(extraCaCerts ? { extraCaCerts } : {}),
    compileCache: !(process.env.ETCD_LAB_NO_COMPILE_CACHE && process.env.ETCD_LAB_NO_COMPILE_CACHE !== '0'),
  };
}

/** Load average and how many etcd processes that are not the bench's run beside it. */
export function busyness(): { load1: number; otherEtcd: number } {
  let otherEtcd = 0;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readlinkSync(`/proc/${e}/exe`).endsWith('/etcd')) continue;
      if (!readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(ROOT)) otherEtcd++;
    } catch {
      /* gone, or not ours to read */
    }
  }
  return { load1: Number(os.loadavg()[0]!.toFixed(2)), otherEtcd };
}

function cpuTimes(): { idle: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = first[3]! + (first[4] ?? 0);
  return { idle, total: first.reduce((a, b) => a + b, 0) };
}

/** Share of all cores busy over the next `ms` (0..1), whoever uses them. */
export async function busyShare(ms = 200): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

/** At most this share of the cores busy counts as quiet. */
export const QUIET_SHARE = 0.3;

/** How long one run may wait for a quiet moment (the quick set waits less). */
export const quiet = { maxWaitMs: 3000 };

/**
 * Waits (at most `maxMs`) for a moment when other work leaves the cores mostly idle, so one run is not measured
 * while a neighbour's test suite saturates the machine. Returns the busy share seen last.
 */
export async function waitQuiet(maxMs = quiet.maxWaitMs, threshold = QUIET_SHARE): Promise<number> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const busy = await busyShare();
    if (busy <= threshold || Date.now() >= deadline) return busy;
  }
}
