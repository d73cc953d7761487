// Every process the bench starts lives under one temp root; on every way out (end, error, SIGINT) the
// supervisors are killed first (so they restart nothing), then every member and baseline process.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Named on import, created by `installHygiene` (which also removes it): importing a bench module leaves nothing. */
export const ROOT = join(tmpdir(), `etcd-lab-bench-${randomBytes(6).toString('hex')}`);

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
  cwd: string;
}

function procs(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${e}/cwd`);
      } catch {
        /* not ours to read */
      }
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(e), ppid, cmd, cwd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Processes started by this bench: their command line names a path under ROOT, or they run in it; with `children`,
 * also every child of the bench (one caught between fork and exec still shows the bench's own command line).
 */
export function ours(under = ROOT, children = false): Proc[] {
  return procs().filter((p) => p.cmd.includes(under) || p.cwd.startsWith(under) || (children && p.ppid === process.pid));
}

function killAll(list: Proc[]): void {
  for (const p of list) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Kills whatever the bench left under `under`: supervisors (node) first, then the rest. Synchronous. */
export function sweepSync(under = ROOT, children = false): number {
  const left = ours(under, children);
  killAll(left.filter((p) => !p.cmd.includes('/etcd ') && !p.cmd.startsWith('etcd ')));
  killAll(ours(under, children));
  return left.length;
}

/** Waits (bounded) until nothing of ours runs under `under`; kills what is left after the bound. */
export async function ensureGone(under: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = ours(under);
    if (left.length === 0) return 0;
    if (Date.now() > deadline) return sweepSync(under);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let installed = false;

export function installHygiene(): void {
  if (installed) return;
  installed = true;
  mkdirSync(ROOT, { mode: 0o700 });
  const final = (): void => {
    sweepSync(ROOT, true);
    rmSync(ROOT, { recursive: true, force: true });
  };
  process.on('exit', final);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping every process it started\n`);
      sweepSync(ROOT, true);
      // A child that was being spawned right then execs a moment later: sweep once more before leaving.
      setTimeout(() => process.exit(130), 300);
    });
  }
}
