// What `up` starts before the command tree loads, so that it overlaps that loading (~55 ms) instead of following
// it: `etcd --version` of the binary the flags and environment name (unless its answer is cached, version-cache.ts),
// and for `up -d` the background supervisor.
// The arguments are only scanned here; `up` parses them properly, reads the version of the binary it settles on
// (the early run is used only for that same binary), and uses the early supervisor only if it was started for the
// state dir the settings name (takeDaemon), else cancels it.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { prefetchVersion, VERSION_TIMEOUT_MS } from '../etcd/run-capture.js';
import { cachedVersionOutput } from '../etcd/version-cache.js';
import { findOnPath, flagPath, scrubEtcdEnv } from '../etcd/which.js';
import { DEFAULT_DIR } from '../plan/default-dir.js';
import { spawnDaemon, type DaemonHandle } from './daemon.js';

/** Options of `up` that take a value: their value is skipped while scanning. */
const TAKES_VALUE = new Set([
  '-n', '--nodes', '--name-prefix', '--host', '--dir', '--ports', '--profile', '--heartbeat-interval', '--election-timeout',
  '--quota-backend-bytes', '--snapshot-count', '--extra-arg', '--cluster-token', '--etcd', '--etcd-version', '-c', '--config',
  '--restart', '--ready-timeout', '--grpc-proxy-port',
]);

/** What the scan finds in an `up` command line. */
interface UpArgs {
  help: boolean;
  detach: boolean;
  dir?: string;
  config: boolean;
  etcd?: string;
}

function scanUpArgs(args: readonly string[]): UpArgs | null {
  if (args[0] !== 'up') return null;
  const r: UpArgs = { help: false, detach: false, config: false };
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '-h' || a === '--help') r.help = true;
    else if (a === '-d' || a === '--detach') r.detach = true;
    else if (a.startsWith('--dir=')) r.dir = a.slice('--dir='.length);
    else if (a.startsWith('--etcd=')) r.etcd = a.slice('--etcd='.length);
    else if (a.startsWith('--config=') || (a.startsWith('-c') && a.length > 2)) r.config = true;
    else if (TAKES_VALUE.has(a)) {
      const value = args[++i];
      if (a === '--dir') r.dir = value;
      if (a === '--etcd') r.etcd = value;
      if (a === '-c' || a === '--config') r.config = true;
    }
  }
  return r;
}

/**
 * The state dir an `up -d` command line names, when that is plain from the arguments alone: `--dir` given, or no
 * settings file that could name another. Null for anything else (other commands, help, a settings file, no -d).
 */
export function earlyDaemonDir(args: readonly string[], defaultConfigExists: boolean): string | null {
  return daemonDirOf(scanUpArgs(args), defaultConfigExists);
}

function daemonDirOf(r: UpArgs | null, defaultConfigExists: boolean): string | null {
  if (r === null || r.help || !r.detach) return null;
  if (r.dir !== undefined) return r.dir === '' ? null : r.dir;
  return r.config || defaultConfigExists ? null : DEFAULT_DIR;
}

/** The etcd binary `up` will most likely run (--etcd, ETCD_BIN, PATH: a settings file may still name another). */
export function earlyEtcdPath(args: readonly string[], env: NodeJS.ProcessEnv): string | null {
  return etcdPathOf(scanUpArgs(args), env);
}

function etcdPathOf(r: UpArgs | null, env: NodeJS.ProcessEnv): string | null {
  if (r === null || r.help) return null;
  if (r.etcd !== undefined) return r.etcd === '' ? null : flagPath(r.etcd, env);
  if (env.ETCD_BIN) return resolve(env.ETCD_BIN);
  return findOnPath('etcd', env);
}

let early: { root: string; handle: DaemonHandle } | null = null;

/** Starts the background supervisor when the arguments name its state dir, then `etcd --version`. */
export function startUpEarly(args: readonly string[]): void {
  const scanned = scanUpArgs(args);
  // The supervisor first: its start-up (~60 ms of Node, then its modules) is the longer path to the members.
  const dir = daemonDirOf(scanned, existsSync('etcd-lab.yaml'));
  if (dir !== null) {
    try {
      const root = resolve(dir);
      early = { root, handle: spawnDaemon(root) };
    } catch {
      early = null; // `up` spawns one itself, and reports what goes wrong then
    }
  }
  const etcd = etcdPathOf(scanned, process.env);
  if (etcd !== null && !versionCached(etcd)) prefetchVersion(etcd, scrubEtcdEnv(process.env), VERSION_TIMEOUT_MS);
}

/** Whether `up` will find the binary's version in the cache (then running it early would only take CPU). */
function versionCached(etcd: string): boolean {
  try {
    return cachedVersionOutput(etcd, statSync(etcd), process.env) !== null;
  } catch {
    return false;
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
