// The first thing `etcd-lab up -d` does: launch.cjs loads this small bundle (dist/cli/early-spawn.cjs) before the
// command's own 1.4 MB bundle, and it spawns the background supervisor at once, ~45 ms sooner than the command could.
// The supervisor's Node start is the longer path to the first member's spawn. The command takes it over
// (up-early.ts, takeEarlySupervisor), or cancels it when the settings name another state dir.
import { existsSync } from 'node:fs';
import { spawnSupervisorProcess, type SpawnedSupervisor } from './supervisor-spawn.js';
import { daemonDirOf, scanUpArgs } from './up-scan.js';

/** Shared by the two bundles of one process: this one spawns, the command's own takes it over. */
const EARLY = Symbol.for('etcd-lab.early-supervisor');
type WithEarly = typeof globalThis & { [EARLY]?: SpawnedSupervisor };

/** Spawns the background supervisor when the arguments are `up -d` and name its state dir plainly. */
export function spawnEarlySupervisor(args: readonly string[]): void {
  const dir = daemonDirOf(scanUpArgs(args), existsSync('etcd-lab.yaml'));
  if (dir === null) return;
  try {
    (globalThis as WithEarly)[EARLY] = spawnSupervisorProcess(dir);
  } catch {
    /* the command spawns one itself, and reports what goes wrong then */
  }
}

/** The supervisor launch.cjs spawned for this command, once; null when it spawned none. */
export function takeEarlySupervisor(): SpawnedSupervisor | null {
  const g = globalThis as WithEarly;
  const s = g[EARLY] ?? null;
  delete g[EARLY];
  return s;
}
