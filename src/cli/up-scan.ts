// What an `up` command line says before it is parsed properly: whether it is `up -d`, for which state dir, and with
// which etcd binary. Used to start work early (up-early.ts, early-spawn.ts); `up` still parses the arguments itself.
import { resolve } from 'node:path';
import { findOnPath, flagPath } from '../etcd/which.js';
import { DEFAULT_DIR } from '../plan/default-dir.js';

/** Options of `up` that take a value: their value is skipped while scanning. */
const TAKES_VALUE = new Set([
  '-n', '--nodes', '--name-prefix', '--host', '--dir', '--ports', '--profile', '--heartbeat-interval', '--election-timeout',
  '--quota-backend-bytes', '--snapshot-count', '--extra-arg', '--cluster-token', '--etcd', '--etcd-version', '-c', '--config',
  '--restart', '--ready-timeout', '--grpc-proxy-port',
]);

/** What the scan finds in an `up` command line. */
export interface UpArgs {
  help: boolean;
  detach: boolean;
  dir?: string;
  config: boolean;
  etcd?: string;
}

export function scanUpArgs(args: readonly string[]): UpArgs | null {
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

export function daemonDirOf(r: UpArgs | null, defaultConfigExists: boolean): string | null {
  if (r === null || r.help || !r.detach) return null;
  if (r.dir !== undefined) return r.dir === '' ? null : r.dir;
  return r.config || defaultConfigExists ? null : DEFAULT_DIR;
}

/** The etcd binary `up` will most likely run (--etcd, ETCD_BIN, PATH: a settings file may still name another). */
export function earlyEtcdPath(args: readonly string[], env: NodeJS.ProcessEnv): string | null {
  return etcdPathOf(scanUpArgs(args), env);
}

export function etcdPathOf(r: UpArgs | null, env: NodeJS.ProcessEnv): string | null {
  if (r === null || r.help) return null;
  if (r.etcd !== undefined) return r.etcd === '' ? null : flagPath(r.etcd, env);
  if (env.ETCD_BIN) return resolve(env.ETCD_BIN);
  return findOnPath('etcd', env);
}
