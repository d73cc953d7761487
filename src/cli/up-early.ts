// What `up` starts before the command tree loads, so that it overlaps that loading (~55 ms) instead of following
// it: for `up -d` the background supervisor (taken over from launch.cjs when it spawned one already, early-spawn.ts),
// and `etcd --version` of the binary the flags and environment name (unless its answer is cached, version-cache.ts).
// The arguments are only scanned here (up-scan.ts); `up` parses them properly, reads the version of the binary it
// settles on (the early run is used only for that same binary), and uses the early supervisor only if it was
// started for the state dir the settings name (takeDaemon), else cancels it.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { prefetchVersion, VERSION_TIMEOUT_MS } from '../etcd/run-capture.js';
import { cachedVersionOutput } from '../etcd/version-cache.js';
import { scrubEtcdEnv } from '../etcd/which.js';
import { daemonHandle, spawnDaemon, type DaemonHandle } from './daemon.js';
import { takeEarlySupervisor } from './early-spawn.js';
import { daemonDirOf, etcdPathOf, scanUpArgs } from './up-scan.js';

let early: { root: string; handle: DaemonHandle } | null = null;

/** Starts the background supervisor when the arguments name its state dir, then `etcd --version`. */
export function startUpEarly(args: readonly string[]): void {
  const scanned = scanUpArgs(args);
  // The supervisor first: its start-up (~60 ms of Node, then its modules) is the longer path to the members.
  const dir = daemonDirOf(scanned, existsSync('etcd-lab.yaml'));
  const launched = takeEarlySupervisor();
  if (launched !== null) {
    early = { root: launched.root, handle: daemonHandle(launched) };
  } else if (dir !== null) {
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
  e?.handle.end();
  return spawnDaemon(root);
}

/** Ends an early background supervisor nobody took (bad flags, help, foreground `up`). */
export function cancelEarlyDaemon(): void {
  early?.handle.end();
  early = null;
}
