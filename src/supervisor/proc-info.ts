// What the OS says about another process: alive, when it started, its argv, cwd and process group.
// Linux reads /proc; elsewhere `ps` answers (argv from `ps` is split on spaces, so it is best effort).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const hasProc = process.platform === 'linux';

function ps(fields: string, pid?: number): string | null {
  const args = pid === undefined ? ['-A', '-ww', '-o', fields] : ['-ww', '-o', fields, '-p', String(pid)];
  try {
    const r = spawnSync('ps', args, { encoding: 'utf8', timeout: 2000 });
    return r.status === 0 ? r.stdout : null;
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat from field 3 (state) on; the command name before it may hold spaces and parens. */
function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Whether `pid` runs (a zombie does not: it has exited and only waits to be reaped). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (hasProc) {
    const f = statFields(pid);
    return f !== null && f[0] !== 'Z' && f[0] !== 'X';
  }
  return true;
}

/**
 * Blocks until none of `pids` runs (a zombie counts as gone), at most `ms`; true when all are gone. Only Linux can
 * tell a zombie from a running process cheaply, so elsewhere it returns false at once.
 */
export function waitGoneSync(pids: number[], ms: number): boolean {
  if (!hasProc) return pids.length === 0;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  let left = pids.filter(pidAlive);
  while (left.length > 0) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(nap, 0, 0, 5);
    left = left.filter(pidAlive);
  }
  return true;
}

/**
 * A token that differs between two processes that had the same pid: the start time since boot on Linux,
 * `ps`'s start time elsewhere. Null when the process is gone or nothing can tell.
 */
export function processStartToken(pid: number): string | null {
  if (hasProc) {
    const f = statFields(pid);
    return f?.[19] !== undefined ? `stat:${f[19]}` : null;
  }
  const out = ps('lstart=', pid)?.trim();
  return out ? `ps:${out}` : null;
}

/** The process's argv, or null when it is gone or unreadable. */
export function processArgv(pid: number): string[] | null {
  if (hasProc) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (raw === '') return null;
      return raw.replace(/\0$/, '').split('\0');
    } catch {
      return null;
    }
  }
  const out = ps('command=', pid)?.trim();
  return out ? out.split(/\s+/) : null;
}

/** The process's working directory (Linux only; null elsewhere or when not allowed to look). */
export function processCwd(pid: number): string | null {
  if (!hasProc) return null;
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/** The resolved executable of the process (Linux only). */
export function processExe(pid: number): string | null {
  if (!hasProc) return null;
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return null;
  }
}

export function processGroup(pid: number): number | null {
  if (hasProc) {
    const f = statFields(pid);
    return f?.[2] !== undefined ? Number(f[2]) : null;
  }
  const out = ps('pgid=', pid)?.trim();
  return out ? Number(out) : null;
}

/**
 * Every process with its argv, read in one pass: /proc/<pid>/cmdline on Linux (kernel threads, which have none, are
 * left out), one `ps` elsewhere (argv split on spaces, as in processArgv).
 */
export function processTable(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  if (hasProc) {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const raw = readFileSync(`/proc/${e}/cmdline`, 'utf8');
        if (raw !== '') out.push({ pid: Number(e), argv: raw.replace(/\0$/, '').split('\0') });
      } catch {
        /* gone meanwhile */
      }
    }
    return out;
  }
  for (const line of (ps('pid=,command=') ?? '').split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), argv: m[2]!.trim().split(/\s+/) });
  }
  return out;
}
