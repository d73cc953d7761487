// `up -d` spawns its background supervisor before the command tree loads, so that the child's Node start-up overlaps
// the parent's (~55 ms of loading, then planning). The arguments are only scanned here; `up` parses them properly and
// uses this child only if it was started for the state dir the settings name (takeDaemon), else cancels it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_DIR } from '../plan/default-dir.js';
import { spawnDaemon, type DaemonHandle } from './daemon.js';

/** Options of `up` that take a value: their value is skipped while scanning. */
const TAKES_VALUE = new Set([
  '-n', '--nodes', '--name-prefix', '--host', '--dir', '--ports', '--profile', '--heartbeat-interval', '--election-timeout',
  '--quota-backend-bytes', '--snapshot-count', '--extra-arg', '--cluster-token', '--etcd', '--etcd-version', '-c', '--config',
  '--restart', '--ready-timeout', '--grpc-proxy-port',
]);

/**
 * The state dir an `up -d` command line names, when that is plain from the arguments alone: `--dir` given, or no
 * settings file that could name another. Null for anything else (other commands, help, a settings file, no -d).
 */
export function earlyDaemonDir(args: readonly string[], defaultConfigExists: boolean): string | null {
  if (args[0] !== 'up') return null;
  let detach = false;
  let dir: string | undefined;
  let config = false;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '-h' || a === '--help') return null;
    if (a === '-d' || a === '--detach') detach = true;
    else if (a.startsWith('--dir=')) dir = a.slice('--dir='.length);
    else if (a.startsWith('--config=') || (a.startsWith('-c') && a.length > 2)) config = true;
    else if (TAKES_VALUE.has(a)) {
      const value = args[++i];
      if (a === '--dir') dir = value;
      if (a === '-c' || a === '--config') config = true;
    }
  }
  if (!detach) return null;
  if (dir !== undefined) return dir === '' ? null : dir;
  return config || defaultConfigExists ? null : DEFAULT_DIR;
}

let early: { root: string; handle: DaemonHandle } | null = null;

/** Spawns the background supervisor now when the arguments name its state dir. */
export function startEarlyDaemon(args: readonly string[]): void {
  const dir = earlyDaemonDir(args, existsSync('etcd-lab.yaml'));
  if (dir === null) return;
  try {
    const root = resolve(dir);
    early = { root, handle: spawnDaemon(root) };
  } catch {
    early = null; // `up` spawns one itself, and reports what goes wrong then
  }
}

/** The background supervisor for `root`: the early one when it was started for that dir, else a new one. */
export function takeDaemon(root: string): DaemonHandle {
  const e = early;
  early = null;
  if (e !== null && e.root === root) return e.handle;
  e?.handle.cancel();
  return spawnDaemon(root);
}

/** Ends an early background supervisor nobody took (bad flags, help, foreground `up`). */
export function cancelEarlyDaemon(): void {
  early?.handle.cancel();
  early = null;
}
