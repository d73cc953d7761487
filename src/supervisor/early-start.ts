// The background supervisor's first step, run before the rest of its code has loaded (cli/supervisor-first.ts runs
// it from a small bundle of its own): take the dir, stop members a dead supervisor left, spawn the bootstrap anchor
// (plan/start-order.ts) and, once it is past its bootstrap check, the other members, as Cluster.start would. The
// rest of the supervisor then opens with what this did (Supervisor.open) and the cluster adopts these processes
// instead of spawning them (Cluster.start), so their exits are seen and reported like any member's. When the anchor
// takes longer than EARLY_REST_WAIT_MS, the others are left to Cluster.start. Only for the plain start: chaos mode
// puts proxies in front of the members before any starts, and --parallel starts them all at once.
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { logsItsStart, pastBootstrapCheck } from '../etcd/log-lines.js';
import { startMark } from '../start-trace.js';
import { bootstrapAnchor } from '../plan/start-order.js';
import type { ClusterPlan, MemberPlan } from '../plan/types.js';
import { memberLogFile, memberSpawnSpec, prepareMemberDirs } from './member-spawn.js';
import { waitGoneSync } from './proc-info.js';
import { reapStale, type ReapedMember } from './reap.js';
import { holdEvents, spawnProcess, type HeldSpawn } from './spawn-process.js';
import { acquireLock, type DirLock } from './state-dir.js';

export interface EarlyMember {
  name: string;
  /** Released (ManagedProcess.adopt) once its new owner watches it; until then it is killed if this process exits. */
  held: HeldSpawn;
}

export interface EarlyStart {
  lock: DirLock;
  reaped: ReapedMember[];
  /** The anchor first, then the others when they were spawned here too. */
  members: EarlyMember[];
}

export interface EarlyRequest {
  /** The state dir (absolute), as in SupervisorOptions. */
  dir: string;
  plan: ClusterPlan;
  etcdPath: string;
  parallel: boolean;
}

const KILL_WAIT_MS = 2000;
/**
 * How long this stage waits for the anchor to pass its bootstrap check before it leaves the others to the cluster
 * (~15-20 ms on an idle 2-core machine): the supervisor's code loads only after this stage.
 */
export const EARLY_REST_WAIT_MS = 100;
/** How often the anchor's log is read when no change notification came. */
const LOG_POLL_MS = 5;

/**
 * Takes the lock, reaps and spawns the anchor. Null when this start does not begin with an anchor, or when any step
 * fails: then what it spawned is killed, the lock is released, and the supervisor's own open and start meet the
 * failure and report it.
 */
export async function startEarly(r: EarlyRequest): Promise<EarlyStart | null> {
  if (r.plan.chaos || r.parallel || r.plan.members.length === 0) return null;
  let lock: DirLock;
  try {
    lock = releasedOnExit(acquireLock(r.dir));
  } catch {
    return null;
  }
  startMark('dir locked');
  const members: EarlyMember[] = [];
  try {
    const reaped = await reapStale(r.dir);
    startMark('stale members reaped');
    const paths = { baseDir: r.dir, stateDir: resolve(r.dir, r.plan.dir), etcdPath: r.etcdPath };
    prepareMemberDirs(r.plan.members, paths);
    const spawn = (mp: MemberPlan): void => {
      const held = killedOnExit(holdEvents(spawnProcess(memberSpawnSpec(mp, paths))));
      members.push({ name: mp.name, held });
      startMark(`spawned ${mp.name}`);
    };
    const anchor = r.plan.members[bootstrapAnchor(r.plan.members)]!;
    spawn(anchor);
    // The others once the anchor says it is past its bootstrap check; a member that does not log that line (or a
    // lone one) leaves them to the cluster, which also polls the anchor's peer port.
    const others = r.plan.members.filter((mp) => mp !== anchor);
    if (others.length > 0 && logsItsStart(anchor.args)) {
      if (await untilPastBootstrapCheck(members[0]!.held, memberLogFile(paths.stateDir, anchor.name), EARLY_REST_WAIT_MS)) others.forEach(spawn);
    }
    return { lock, reaped, members };
  } catch {
    abandonEarly(members);
    lock.release();
    return null;
  }
}

/** Kills members nobody adopted (the supervisor failed before its start), and waits until they are gone. */
export function abandonEarly(members: readonly EarlyMember[]): void {
  const killed: number[] = [];
  for (const m of members) {
    m.held.release();
    const pid = m.held.child.pid;
    if (pid === undefined) continue;
    try {
      process.kill(-pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* already gone */
    }
  }
  waitGoneSync(killed, KILL_WAIT_MS);
}

/**
 * Whether the anchor's log says it is past its bootstrap check within `ms`; false when it exits first or its log
 * cannot be read: the cluster then waits for it as it always does (its log line or its peer port).
 */
function untilPastBootstrapCheck(held: HeldSpawn, file: string, ms: number): Promise<boolean> {
  if (held.out === null) return Promise.resolve(false);
  const from = held.out.from;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Promise.resolve(false);
  }
  return new Promise<boolean>((resolveWait) => {
    let seen = '';
    let pos = from;
    const buf = Buffer.allocUnsafe(16 * 1024);
    const check = (): void => {
      if (finished) return;
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, pos);
        } catch {
          return done(false);
        }
        if (n <= 0) break;
        pos += n;
        seen += buf.toString('utf8', 0, n);
      }
      if (pastBootstrapCheck(seen)) done(true);
      else if (held.happened.exit || held.happened.error) done(false);
    };
    const watcher = watchFile(file, check);
    const poll = setInterval(check, LOG_POLL_MS);
    const timer = setTimeout(() => done(false), ms);
    let finished = false;
    function done(past: boolean): void {
      if (finished) return;
      finished = true;
      watcher?.close();
      clearInterval(poll);
      clearTimeout(timer);
      closeSync(fd);
      resolveWait(past);
    }
    check();
  });
}

function watchFile(file: string, onChange: () => void): FSWatcher | null {
  try {
    const w = watch(file, { persistent: false }, onChange);
    w.on('error', () => undefined);
    return w;
  } catch {
    return null;
  }
}

/** Until released, this process's exit kills the child's group (as killAllGroupsSync does for adopted ones). */
function killedOnExit(held: HeldSpawn): HeldSpawn {
  const kill = (): void => {
    const pid = held.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
      waitGoneSync([pid], KILL_WAIT_MS);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', kill);
  return {
    ...held,
    release: () => {
      held.release();
      process.off('exit', kill);
    },
  };
}

/** Until released, this process's exit removes the lock (a first stage ended by a signal leaves no lock behind). */
function releasedOnExit(lock: DirLock): DirLock {
  const release = (): void => lock.release();
  process.once('exit', release);
  return {
    pid: lock.pid,
    startedAt: lock.startedAt,
    release: () => {
      process.off('exit', release);
      lock.release();
    },
  };
}
