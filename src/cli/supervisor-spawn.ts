// The background supervisor's process for `up -d`: detached, its output appended to supervisor.log, an IPC channel
// for the start request. It is spawned as early as the arguments allow, before the plan is known, so that its Node
// start and module loading overlap the parent's planning: by launch.cjs before the command's own bundle loads
// (early-spawn.ts), else by up-early.ts. daemon.ts drives it from there.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { startMark } from '../start-trace.js';
import { checkStateDir, makeStateDir, statePaths } from '../supervisor/state-dir.js';

/** Where the daemon finds NODE_EXTRA_CA_CERTS again, to hand it on to the processes it starts. */
export const SAVED_EXTRA_CA_CERTS = 'ETCD_LAB_SAVED_NODE_EXTRA_CA_CERTS';

/**
 * Node reads every certificate in NODE_EXTRA_CA_CERTS while it starts (~75 ms for Debian's bundle on a 2-core VM), on
 * the path to ready. The supervisor only talks to local members, with the lab's own CA when they use TLS: its Node
 * starts without the variable, and puts it back for its children (see restoreDaemonEnv).
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: extra, ...rest } = env;
  return extra === undefined ? rest : { ...rest, [SAVED_EXTRA_CA_CERTS]: extra };
}

/** In the supervisor: NODE_EXTRA_CA_CERTS back in place for the processes it starts. */
export function restoreDaemonEnv(env: NodeJS.ProcessEnv): void {
  const saved = env[SAVED_EXTRA_CA_CERTS];
  delete env[SAVED_EXTRA_CA_CERTS];
  if (saved !== undefined) env.NODE_EXTRA_CA_CERTS = saved;
}

/** A spawned supervisor that has not been sent its start request yet. */
export interface SpawnedSupervisor {
  /** The state dir it was spawned for (absolute). */
  root: string;
  supervisorLog: string;
  /**
   * The outermost directory the spawn created on the way to the state dir (the state dir itself, or a parent that
   * did not exist either), or null: a cancel removes what it created again, while it is still empty.
   */
  createdFrom: string | null;
  /** Whether the spawn created supervisor.log (a cancel then removes it). */
  createdLog: boolean;
  child: ChildProcess;
  /** How it ended, if it did before anyone took it over (kept from the spawn on: no event is missed). */
  ended: { exit?: { code: number | null; signal: NodeJS.Signals | null }; error?: Error };
  /** Stops recording `ended` (the new owner listens itself). */
  takeOver(): void;
}

export function spawnSupervisorProcess(dir: string): SpawnedSupervisor {
  const paths = statePaths(dir);
  let createdFrom: string | null;
  try {
    createdFrom = makeStateDir(paths.root) ?? null;
  } catch (e) {
    checkStateDir(paths.root); // a file in the way: said as the user's mistake, not as an internal error
    throw e;
  }
  const createdLog = !existsSync(paths.supervisorLog);
  const log = openSync(paths.supervisorLog, 'a');
  let child: ChildProcess;
  try {
    startMark('spawning the supervisor');
    child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '__supervise'], {
      detached: true,
      stdio: ['ignore', log, log, 'ipc'],
      cwd: process.cwd(),
      env: daemonEnv(process.env),
    });
  } finally {
    closeSync(log);
  }
  const ended: SpawnedSupervisor['ended'] = {};
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => void (ended.exit = { code, signal });
  const onError = (error: Error): void => void (ended.error = error);
  child.once('exit', onExit);
  child.once('error', onError);
  return {
    root: paths.root,
    supervisorLog: paths.supervisorLog,
    createdFrom,
    createdLog,
    child,
    ended,
    takeOver: () => {
      child.off('exit', onExit);
      child.off('error', onError);
    },
  };
}

/**
 * Undoes a spawn whose supervisor never got its request: removes the log it created, then the state dir and each
 * parent up to the outermost one it created, each only while empty: anything written there meanwhile stays.
 */
export function removeCreated(spawned: Pick<SpawnedSupervisor, 'root' | 'createdFrom' | 'createdLog' | 'supervisorLog'>): void {
  const { root, createdFrom } = spawned;
  if (spawned.createdLog) rmSync(spawned.supervisorLog, { force: true });
  if (createdFrom === null) return;
  const top = root === createdFrom || root.startsWith(createdFrom + sep) ? createdFrom : root;
  for (let d = root; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}
