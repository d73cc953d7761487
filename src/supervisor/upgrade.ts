// A rolling upgrade of the running cluster, done by its supervisor: one member at a time, followers first and the
// leader last, each stopped gracefully and started on the new binary with the same data dir. The rules of what etcd
// supports are in plan/upgrade.ts; everything is checked before anything changes.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { EtcdClient } from '../etcd/client.js';
import { readEtcdVersion } from '../etcd/binary.js';
import { assertSupported } from '../etcd/version.js';
import { quorumOf } from '../plan/count.js';
import { checkClusterSpan, checkUpgradeStep, expectedClusterVersion, nextToUpgrade, upgradedArgs, upgradeWarnings } from '../plan/upgrade.js';
import type { EtcdVersion, MemberPlan } from '../plan/types.js';
import type { Cluster } from './cluster.js';
import { clientTlsFor } from './pki.js';

/** SIGTERM, then SIGKILL after this long: a leader hands its leadership over first, which takes a few heartbeats. */
const STOP_GRACE_MS = 10_000;
const POLL_MS = 50;
const CALL_TIMEOUT_MS = 1000;
/** etcd's leader re-decides the cluster version every few seconds (monitorVersions): bound the wait for it. */
const CLUSTER_VERSION_WAIT_MS = 20_000;

export interface UpgradeContext {
  cluster: Cluster;
  readyTimeoutMs: number;
  /** The version of the cluster's own binary, which members without one of their own run. */
  defaultVersion(): EtcdVersion;
  /** Writes plan.json and state.json. */
  persist(): void;
  /** Every member runs `path` now: it becomes the cluster's binary. */
  adopt(path: string, version: EtcdVersion): void;
}

export interface UpgradeRequest {
  /** A member name, or `all`. */
  target: string;
  /** Absolute path of the new etcd binary. */
  etcdPath: string;
}

export interface MemberUpgrade {
  member: string;
  from: string;
  to: string;
  /** upgraded: stopped and started on the new binary; started: it was down and starts on it; unchanged: it runs that version. */
  action: 'upgraded' | 'started' | 'unchanged';
  wasLeader: boolean;
  /** How the old process ended: on its own after SIGTERM, or SIGKILLed after the grace period. */
  stopped: 'graceful' | 'killed' | null;
  stopMs: number | null;
  /** From the spawn until its peer port answers. */
  startMs: number | null;
  /** From then until it reports healthy, on the new version, with a leader. */
  readyMs: number | null;
  totalMs: number;
  /** When its replacement began and ended (ms since the epoch, the supervisor's clock): the window it was out. */
  startedAt: number | null;
  endedAt: number | null;
  /** The leader once this member was ready. */
  leaderAfter: string | null;
}

export interface UpgradeResult {
  etcdPath: string;
  version: string;
  members: MemberUpgrade[];
  /** The cluster version etcd reports at the end (null if none answered). */
  clusterVersion: string | null;
  /** What the member versions make it: the lowest MAJOR.MINOR.0. */
  expectedClusterVersion: string;
  /** How long after the last member the cluster version took to reach that: 0 when it was there at once, null when not within the bound. */
  clusterVersionMs: number | null;
  leader: string | null;
  warnings: string[];
  elapsedMs: number;
}

type Say = (text: string) => void;

const ms = (t0: number): number => Math.round(performance.now() - t0);

export async function rollingUpgrade(ctx: UpgradeContext, req: UpgradeRequest, say: Say = () => undefined): Promise<UpgradeResult> {
  const t0 = performance.now();
  const { cluster } = ctx;
  const etcdPath = resolve(req.etcdPath);
  const to = await readEtcdVersion(etcdPath);
  assertSupported(to, etcdPath);

  const plans = (): MemberPlan[] => cluster.plan.members;
  const planOf = (name: string): MemberPlan => plans().find((m) => m.name === name)!;
  const versionOf = (mp: MemberPlan): EtcdVersion => mp.etcdVersion ?? ctx.defaultVersion();
  const names = plans().map((m) => m.name);
  if (req.target !== 'all' && !names.includes(req.target)) {
    throw new LabError('UNKNOWN_MEMBER', `there is no member "${req.target}" in ${cluster.stateDir}`, {
      hint: `members: ${names.join(', ')} (or all)`,
    });
  }
  const targets = req.target === 'all' ? names : [req.target];

  // Every check first: nothing changes until all pass.
  const steps = new Map(targets.map((n) => [n, checkUpgradeStep(n, versionOf(planOf(n)), to)]));
  checkClusterSpan(plans().filter((m) => !targets.includes(m.name)).map((m) => ({ name: m.name, version: versionOf(m) })), to);
  const states = new Map(cluster.members().map((m) => [m.name, m.state]));
  const moving = targets.filter((n) => steps.get(n) === 'upgrade');
  for (const n of moving) {
    const s = states.get(n);
    if (s === 'paused') {
      throw new LabError('NOT_READY', `cannot upgrade ${n}: it is paused`, { hint: `resume it first: etcd-lab resume ${n}` });
    }
    if (s === 'starting') {
      throw new LabError('NOT_READY', `cannot upgrade ${n}: it is starting`, { hint: 'wait until etcd-lab status shows it running, then try again' });
    }
  }
  const down = moving.filter((n) => states.get(n) === 'stopped' || states.get(n) === 'exited');
  const running = moving.filter((n) => states.get(n) === 'running');
  const status = await cluster.status();
  if (running.length > 0) checkQuorum(status, running, down);
  const warnings = [...new Set(moving.flatMap((n) => upgradeWarnings(versionOf(planOf(n)), to)))];
  for (const w of warnings) say(`warning: ${w}`);

  say(
    moving.length === 0
      ? `every member named already runs etcd ${to.text}`
      : `upgrading ${moving.join(', ')} to etcd ${to.text} (${etcdPath}), one at a time${running.length > 1 ? ', followers first, the leader last' : ''}`,
  );
  const done: MemberUpgrade[] = [];
  for (const n of targets.filter((x) => steps.get(x) === 'same')) {
    const v = versionOf(planOf(n)).text;
    done.push({ member: n, from: v, to: v, action: 'unchanged', wasLeader: status.leader === n, stopped: null, stopMs: null, startMs: null, readyMs: null, totalMs: 0, startedAt: null, endedAt: null, leaderAfter: status.leader });
  }
  // A member that is down serves nothing: it goes first, and the cluster has it back before any other stops.
  for (const n of down) done.push(await replaceMember(ctx, planOf(n), to, etcdPath, false, null, say));
  const remaining = [...running];
  while (remaining.length > 0) {
    const leader = (await cluster.status()).leader;
    const n = nextToUpgrade(remaining, leader)!;
    remaining.splice(remaining.indexOf(n), 1);
    done.push(await replaceMember(ctx, planOf(n), to, etcdPath, true, leader, say));
  }

  const tLast = performance.now();
  const expected = expectedClusterVersion(plans().map(versionOf));
  let clusterVersion = await cluster.clusterVersion();
  const waited = clusterVersion !== expected;
  if (moving.length > 0 && waited) say(`waiting for the cluster version to become ${expected} (it is ${clusterVersion ?? 'unknown'})`);
  while (moving.length > 0 && clusterVersion !== expected && performance.now() - tLast < CLUSTER_VERSION_WAIT_MS) {
    await delay(POLL_MS * 4);
    clusterVersion = await cluster.clusterVersion();
  }
  if (plans().every((m) => m.etcdPath === etcdPath)) ctx.adopt(etcdPath, to);
  ctx.persist();
  return {
    etcdPath,
    version: to.text,
    members: done,
    clusterVersion,
    expectedClusterVersion: expected,
    clusterVersionMs: clusterVersion !== expected ? null : waited ? ms(tLast) : 0,
    leader: (await cluster.status()).leader,
    warnings,
    elapsedMs: ms(t0),
  };
}

/** Refuses when stopping a running member, with the given ones down meanwhile, would leave fewer voters than a quorum. */
function checkQuorum(status: Awaited<ReturnType<Cluster['status']>>, running: string[], down: string[]): void {
  if (status.leader === null) {
    throw new LabError('NOT_READY', 'cannot start a rolling upgrade: the cluster has no leader now', {
      hint: 'see etcd-lab status; upgrade once a leader is elected',
    });
  }
  const voters = status.members.filter((m) => !m.isLearner);
  if (voters.length <= 1) return; // a 1-member cluster cannot serve while its only member restarts: there is no quorum to keep
  const up = voters.filter((m) => m.state === 'running' || down.includes(m.name));
  const quorum = quorumOf(voters.length);
  const stopping = running.find((n) => voters.some((v) => v.name === n));
  if (stopping !== undefined && up.length - 1 < quorum) {
    const others = voters.filter((m) => m.state !== 'running' && !down.includes(m.name)).map((m) => m.name);
    throw new LabError(
      'NOT_READY',
      `cannot upgrade ${running.join(', ')} one at a time: while one restarts only ${up.length - 1} of ${voters.length} voting members would run, and etcd needs ${quorum} to serve${others.length > 0 ? ` (${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} down)` : ''}`,
      { hint: others.length > 0 ? `start ${others.join(', ')} first (etcd-lab run start ${others[0]}), or upgrade ${others.length === 1 ? 'it' : 'them'} too` : 'start the members that are down first' },
    );
  }
}

/**
 * Stops a member (if it runs), starts it on the new binary with the same data, and waits until it is healthy on
 * that version with a leader. If it does not get there, it is put back on its old binary and the error thrown.
 */
async function replaceMember(
  ctx: UpgradeContext,
  mp: MemberPlan,
  to: EtcdVersion,
  etcdPath: string,
  wasRunning: boolean,
  leader: string | null,
  say: Say,
): Promise<MemberUpgrade> {
  const { cluster } = ctx;
  const name = mp.name;
  const from = mp.etcdVersion ?? ctx.defaultVersion();
  const wasLeader = leader === name;
  const t0 = performance.now();
  const startedAt = Date.now();
  let stopped: MemberUpgrade['stopped'] = null;
  let stopMs: number | null = null;
  if (wasRunning) {
    say(`${name}: stopping etcd ${from.text} (SIGTERM${wasLeader ? ': the leader hands leadership over first' : ', a follower'})`);
    const exit = await cluster.stopMember(name, STOP_GRACE_MS);
    stopped = exit?.signal === 'SIGKILL' ? 'killed' : 'graceful';
    stopMs = ms(t0);
  } else {
    // Held down, so that the restart policy cannot start the old binary meanwhile.
    await cluster.stopMember(name, STOP_GRACE_MS);
  }
  cluster.updateMember({ ...mp, args: upgradedArgs(mp.args, from, to), etcdPath, etcdVersion: to });
  ctx.persist();
  say(`${name}: starting etcd ${to.text} on the same data`);
  const t1 = performance.now();
  let startMs: number;
  let readyMs: number;
  let leaderAfter: string | null;
  try {
    await cluster.startMember(name);
    startMs = ms(t1);
    const t2 = performance.now();
    leaderAfter = await waitReady(cluster, mp, to, ctx.readyTimeoutMs);
    readyMs = ms(t2);
  } catch (e) {
    say(`${name}: etcd ${to.text} did not become ready; putting etcd ${from.text} back on its data`);
    await cluster.stopMember(name, 0);
    cluster.updateMember(mp);
    ctx.persist();
    let back = 'it is down';
    if (wasRunning) {
      try {
        await cluster.startMember(name);
        back = `it runs etcd ${from.text} again`;
      } catch {
        back = `etcd ${from.text} did not start again either: it is down`;
      }
    }
    const err = e instanceof LabError ? e : null;
    throw new LabError('NOT_READY', `the upgrade stopped at ${name}: ${err?.message ?? (e as Error).message}; ${back}`, {
      details: err?.details ?? [],
      hint: `see ${cluster.logFile(name)}; the members upgraded before ${name} keep etcd ${to.text}`,
      cause: e,
    });
  }
  const totalMs = ms(t0);
  say(
    `${name}: ${from.text} -> ${to.text} in ${totalMs} ms (${stopMs === null ? 'was down' : `stop ${stopMs} ms${stopped === 'killed' ? ', SIGKILLed' : ''}`}, start ${startMs} ms, ready ${readyMs} ms)${leaderAfter ? `, leader ${leaderAfter}` : ''}`,
  );
  return {
    member: name,
    from: from.text,
    to: to.text,
    action: wasRunning ? 'upgraded' : 'started',
    wasLeader,
    stopped,
    stopMs,
    startMs,
    readyMs,
    totalMs,
    startedAt,
    endedAt: Date.now(),
    leaderAfter,
  };
}

/** Waits until the member reports healthy, runs `to`, and knows a leader; returns the leader's name. */
async function waitReady(cluster: Cluster, mp: MemberPlan, to: EtcdVersion, timeoutMs: number): Promise<string | null> {
  const c = new EtcdClient(mp.clientURL, { timeoutMs: CALL_TIMEOUT_MS, tls: clientTlsFor(cluster.plan) });
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  try {
    while (performance.now() < deadline) {
      try {
        const [h, s] = await Promise.all([c.health(), c.status()]);
        if (s.version !== to.text) last = `it reports version ${s.version}`;
        else if (!h.healthy) last = `it is not healthy${h.reason ? ` (${h.reason})` : ''}`;
        else if (s.leader === null) last = 'it knows no leader';
        else return (await cluster.status()).members.find((m) => m.id === s.leader)?.name ?? s.leader;
      } catch (e) {
        last = (e as Error).message;
      }
      await delay(POLL_MS);
    }
  } finally {
    c.close();
  }
  throw new LabError('NOT_READY', `${mp.name} was not healthy on etcd ${to.text} within ${timeoutMs} ms (${last})`);
}
