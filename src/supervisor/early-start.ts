// The background supervisor's first step, run before the rest of its code has loaded (cli/supervisor-first.ts runs
// it from a small bundle of its own): take the dir, stop members a dead supervisor left, spawn the bootstrap anchor
// (plan/start-order.ts) and, once it is past its bootstrap check, the other members, as Cluster.start would. The
// rest of the supervisor then opens with what this did (Supervisor.open) and the cluster adopts these processes
// instead of spawning them (Cluster.start), so their exits are seen and reported like any member's. When the anchor
// takes longer than EARLY_REST_WAIT_MS, the others are left to Cluster.start. Only for the plain start: chaos mode
// puts proxies in front of the members before any starts, and --parallel starts them all at once.
import { resolve } from 'node:path';
import { logsItsStart, pastBootstrapCheck } from '../etcd/log-lines.js';
import { startMark } from '../start-trace.js';
import { bootstrapAnchor } from '../plan/start-order.js';
import type { MemberPlan } from '../plan/types.js';
import { memberLogFile, memberSpawnSpec, prepareMemberDirs } from './member-spawn.js';
import { FileTail } from './file-tail.js';
import { killGroupsSync } from './process.js';
import { reapStale, type ReapedMember } from './reap.js';
import { holdEvents, spawnProcess, type HeldSpawn } from './spawn-process.js';
import { acquireLock, type DirLock } from './state-dir.js';
import type { SupervisorOptions } from './supervisor.js';

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

/** What the early start reads of the start request. */
export type EarlyRequest = Pick<SupervisorOptions, 'dir' | 'plan' | 'etcdPath' | 'parallel'>;

/**
 * How long this stage waits for the anchor to pass its bootstrap check before it leaves the others to the cluster
 * (~15-20 ms on an idle 2-core machine): the supervisor's code loads only after this stage.
 */
export const EARLY_REST_WAIT_MS = 100;
/** How often the anchor's log is read when no change notification came. */
const LOG_POLL_MS = 5;

/**
 * Takes the lock, reaps and spawns the anchor, and the others when the anchor is past its bootstrap check within
 * `restWaitMs`. Null when this start does not begin with an anchor, or when any step
 * fails: then what it spawned is killed, the lock is released, and the supervisor's own open and start meet the
 * failure and report it.
 */
export async function startEarly(r: EarlyRequest, restWaitMs = EARLY_REST_WAIT_MS): Promise<EarlyStart | null> {
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
    const reaped = await reapStale(r.dir, { scan: 'if-data' });
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
      if (await untilPastBootstrapCheck(members[0]!.held, memberLogFile(paths.stateDir, anchor.name), restWaitMs)) others.forEach(spawn);
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
  for (const m of members) m.held.release();
  killGroupsSync(members.flatMap((m) => m.held.child.pid ?? []));
}

/**
 * Whether the anchor's log says it is past its bootstrap check within `ms`; false when it exits first or its log
 * cannot be read: the cluster then waits for it as it always does (its log line or its peer port).
 */
function untilPastBootstrapCheck(held: HeldSpawn, file: string, ms: number): Promise<boolean> {
  const out = held.out;
  if (out === null || held.happened.exit || held.happened.error) return Promise.resolve(false);
  return new Promise<boolean>((resolveWait) => {
    let seen = '';
    let finished = false;
    let tail: FileTail | null = null;
    const done = (past: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      held.child.off('exit', ended);
      held.child.off('error', ended);
      tail?.close();
      resolveWait(past);
    };
    const ended = (): void => done(false);
    const timer = setTimeout(ended, ms);
    held.child.once('exit', ended);
    held.child.once('error', ended);
    try {
      tail = new FileTail(
        file,
        out.from,
        (chunk) => {
          seen += chunk.toString('utf8');
          if (pastBootstrapCheck(seen)) done(true);
        },
        LOG_POLL_MS,
      );
    } catch {
      done(false);
    }
  });
}

/** Until released, this process's exit kills the child's group (as killAllGroupsSync does for adopted ones). */
function killedOnExit(held: HeldSpawn): HeldSpawn {
  const kill = (): void => killGroupsSync(held.child.pid === undefined ? [] : [held.child.pid]);
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
