// The state dir: where its files live, atomic JSON files, state.json, and the lock that makes one supervisor per dir.
import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { shellQuote } from '../plan/quote.js';
import { pidAlive, processArgv, processStartToken } from './proc-info.js';

export interface StatePaths {
  root: string;
  plan: string;
  state: string;
  sock: string;
  logs: string;
  data: string;
  supervisorLog: string;
  lock: string;
}

/**
 * Refuses (USAGE) a state dir that is a file or lies under one, before anything is read or created there. A dir
 * that does not exist yet is fine: it is created when needed.
 */
export function checkStateDir(dir: string): void {
  const root = resolve(dir);
  for (let d = root; ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch {
      if (dirname(d) === d) return;
      continue;
    }
    if (isDir) return;
    throw new LabError('USAGE', d === root ? `the state folder ${root} is a file, not a folder` : `the state folder ${root} would lie under ${d}, which is a file`, {
      hint: 'name a folder with --dir (or `dir` in etcd-lab.yaml)',
    });
  }
}

/**
 * `mkdir -p` of a folder the user named (`what` says which), with a failure said as theirs (USAGE: what, where, how
 * to fix). Returns the outermost folder it made, or undefined when there was nothing to make. Not Node's recursive
 * mkdirSync: under /proc (ENOENT for a parent that exists) it loops forever instead of failing.
 */
export function makeFolder(path: string, what: string, hint: string): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(path); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isFolder(d)) continue;
      const why =
        code === 'EACCES' || code === 'EPERM'
          ? `no permission to create ${d}`
          : code === 'EEXIST'
            ? `${d} is ${isLink(d) ? 'a link to a path that does not exist' : 'a file'}`
            : `${d}: ${code ?? (e as Error).message}`;
      throw new LabError('USAGE', `cannot create ${what} ${resolve(path)}: ${why}`, { hint, cause: e });
    }
  }
  if (missing.length === 0 && !statSync(path).isDirectory()) throw new LabError('USAGE', `${what} ${resolve(path)} is a file, not a folder`, { hint });
  return missing[0];
}

function isFolder(d: string): boolean {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}

function isLink(d: string): boolean {
  try {
    return lstatSync(d).isSymbolicLink();
  } catch {
    return false;
  }
}

/** makeFolder for the state dir. */
export function makeStateDir(root: string): string | undefined {
  return makeFolder(root, 'the state folder', 'name a folder you can write with --dir (or `dir` in etcd-lab.yaml)');
}

/** Absolute paths of everything in the state dir `dir`. */
export function statePaths(dir: string): StatePaths {
  const root = resolve(dir);
  return {
    root,
    plan: join(root, 'plan.json'),
    state: join(root, 'state.json'),
    sock: join(root, 'control.sock'),
    logs: join(root, 'logs'),
    data: join(root, 'data'),
    supervisorLog: join(root, 'supervisor.log'),
    lock: join(root, 'supervisor.lock'),
  };
}

/** Makes a rename in `dir` durable where the platform allows (the rename is atomic regardless). */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported on every platform; the rename is still atomic */
  }
}

/**
 * A name no other write takes: the pid, and 32 random bits against a file a dead process of the same pid left. Not
 * node:crypto's: loading it (~3 ms) is the largest part of the supervisor's first stage, on the way to the first
 * member's spawn, and the name needs no secrecy (the file is opened with O_EXCL, which a planted file or link fails).
 */
export function tempPathFor(path: string): string {
  const random = Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${random}.tmp`);
}

function writeNewFile(path: string, text: string, mode: number, durable: boolean): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `value` as JSON so that readers see the old file or the new one, never a part: temp file, rename. Durable
 * (the default) also fsyncs the file and its folder, so that it survives a crash of the machine; files that only
 * describe running processes (pids) mean nothing after one and skip that (each fsync costs 2-15 ms, on the path
 * of every member's start).
 */
export function writeJsonAtomic(path: string, value: unknown, opts: { mode?: number; durable?: boolean } = {}): void {
  const tmp = tempPathFor(path);
  const durable = opts.durable ?? true;
  try {
    writeNewFile(tmp, `${JSON.stringify(value, null, 2)}\n`, opts.mode ?? 0o644, durable);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw e;
  }
  if (durable) fsyncDir(dirname(path));
}

/**
 * Reads a JSON file. A missing file throws the plain ENOENT error (check `code`); a file that is not JSON
 * throws DIR_MISMATCH.
 */
export function readJson<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new LabError('DIR_MISMATCH', `${path} is not valid JSON`, {
      hint: 'it was not written by etcd-lab, or was edited by hand: remove it, or use another --dir',
      cause: e,
    });
  }
}

export interface SupervisorState {
  version: 1;
  supervisorPid: number;
  startedAt: string;
  etcdPath: string;
  etcdVersion: string;
  chaos: boolean;
  members: {
    name: string;
    pid: number | null;
    clientPort: number;
    peerPort: number;
    proxyPort: number | null;
    /** The binary the member runs, when `etcd-lab upgrade` gave it one other than `etcdPath`. */
    etcdPath?: string;
    etcdVersion?: string;
  }[];
}

export function writeState(dir: string, state: SupervisorState): void {
  writeJsonAtomic(statePaths(dir).state, state, { durable: false });
}

/** state.json of `dir`, or null when there is none. */
export function readState(dir: string): SupervisorState | null {
  const path = statePaths(dir).state;
  let state: SupervisorState;
  try {
    state = readJson<SupervisorState>(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (state === null || typeof state !== 'object' || state.version !== 1 || !Array.isArray(state.members)) {
    throw new LabError('DIR_MISMATCH', `${path} is not an etcd-lab state file this version can read`, {
      hint: `stop what runs there with \`etcd-lab down --dir ${shellQuote(dir)}\`, or use another --dir`,
    });
  }
  return state;
}

// ---- the lock ----

interface LockInfo {
  pid: number;
  startedAt: string | null;
  /** processStartToken() of the holder when it took the lock: tells the holder from a later process with its pid. */
  start: string | null;
}

export interface DirLock {
  readonly pid: number;
  readonly startedAt: string;
  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void;
}

function parseLock(text: string): LockInfo | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), startedAt: null, start: null };
  try {
    const v = JSON.parse(trimmed) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return {
      pid: v.pid,
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : null,
      start: typeof v.start === 'string' ? v.start : null,
    };
  } catch {
    return null;
  }
}

/** Whether the process that wrote the lock still runs (not just some process that got its pid later). */
function holderAlive(info: LockInfo): boolean {
  if (!pidAlive(info.pid)) return false;
  if (info.start !== null) {
    const now = processStartToken(info.pid);
    return now === null || now === info.start;
  }
  // A lock without a start token (hand-made or foreign): only an etcd-lab command line counts.
  const argv = processArgv(info.pid);
  return argv === null || argv.some((a) => a.includes('etcd-lab'));
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Creates `path` holding `text`, atomically and only if it does not exist (link fails on an existing name). Not
 * fsynced: a lock names a process, and a crash of the machine ends that process anyway.
 */
function tryCreate(path: string, text: string): boolean {
  const tmp = tempPathFor(path);
  writeNewFile(tmp, text, 0o644, false);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** A breaker older than this was left by a process that died inside removeStale (which holds it for microseconds). */
const BREAKER_ABANDONED_MS = 10_000;

/**
 * Removes a stale lock, but only the one we judged. Removing is done under a breaker file (created exclusively), and
 * the lock is read again under it: no other process can remove it meanwhile, and none can create it while it
 * exists, so what is unlinked is the stale lock itself, never a fresh one another process just took. (Renaming the
 * lock aside and putting back a fresh one let a third process create the lock in between: two winners.)
 * Returns false when another process holds the breaker (try again shortly).
 */
function removeStale(path: string, seen: string): boolean {
  const breaker = `${path}.break`;
  try {
    writeFileSync(breaker, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_ABANDONED_MS) unlinkSync(breaker);
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    if (readText(path) === seen) {
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return true;
  } finally {
    try {
      unlinkSync(breaker);
    } catch {
      /* already gone */
    }
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function clock(iso: string | null): string {
  if (iso === null) return 'at an unknown time';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'at an unknown time';
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function inUse(dir: string, info: LockInfo): LabError {
  return new LabError('DIR_IN_USE', `${dir} is in use by etcd-lab supervisor pid ${info.pid} (started ${clock(info.startedAt)})`, {
    hint: `stop it with \`etcd-lab down --dir ${shellQuote(dir)}\`, or use another --dir`,
  });
}

/**
 * Makes this process the one owner of the state dir `dir` (created if missing). Throws DIR_IN_USE naming the
 * live owner. A lock left by a dead process, or by a pid now used by another program, is taken over.
 */
export function acquireLock(dir: string): DirLock {
  const paths = statePaths(dir);
  makeStateDir(paths.root);
  const startedAt = new Date().toISOString();
  const mine = `${JSON.stringify({ pid: process.pid, startedAt, start: processStartToken(process.pid) })}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(paths.lock, mine)) {
      let held = true;
      return {
        pid: process.pid,
        startedAt,
        release() {
          if (!held) return;
          held = false;
          if (readText(paths.lock) === mine) unlinkSync(paths.lock);
        },
      };
    }
    const seen = readText(paths.lock);
    if (seen === null) continue;
    const info = parseLock(seen);
    if (info !== null && holderAlive(info)) throw inUse(dir, info);
    if (!removeStale(paths.lock, seen)) pause(2);
  }
  throw new LabError('DIR_IN_USE', `could not take the lock ${paths.lock}: other processes keep taking it`, {
    hint: 'another etcd-lab is starting in this dir right now; wait for it, or use another --dir',
  });
}

/** The live supervisor holding the lock of `dir`, or null. */
export function liveSupervisor(dir: string): { pid: number; startedAt: string | null } | null {
  const text = readText(statePaths(dir).lock);
  if (text === null) return null;
  const info = parseLock(text);
  if (info === null || !holderAlive(info)) return null;
  return { pid: info.pid, startedAt: info.startedAt };
}
