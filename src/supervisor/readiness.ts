// When a starting etcd member is ready, and why it is not: its peer listener serving (log line or `GET /version` on
// the peer port), then `/health` and one leader agreed by every member. The etcd-specific part of `up`'s start.
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { EtcdClient, type EtcdStatus, type EtcdTlsOptions } from '../etcd/client.js';
import { SERVING_PEERS } from '../etcd/log-lines.js';
import type { MemberPlan } from '../plan/types.js';
import { describeExit, failureLines } from './exit-report.js';
import { pickLeader } from './leader-claim.js';
import type { ExitInfo, ManagedProcess } from './process.js';

/** What the readiness checks need of a member. */
export interface ProbedMember {
  plan: MemberPlan;
  proc: ManagedProcess;
  /** Where the peer port answers directly (the advertised host may be `localhost.`, which goes through a proxy). */
  probeURL: string;
  logFile: string;
  /** Hex member ID, learned from its first status answer. */
  id: string | null;
}

/** Why a wait ended early. */
export type Abort = { kind: 'timeout' } | { kind: 'stopped' } | { kind: 'exit'; name: string; info: ExitInfo };

export const POLL_MS = 15;
export const PEER_POLL_GRACE_MS = 250;
const PEER_PROBE_TIMEOUT_MS = 250;
const READY_CALL_TIMEOUT_MS = 300;

/** PURE. The URL that reaches a member's peer port directly (loopback hosts as 127.0.0.1). */
export function directURL(listenPeerURL: string, peerPort: number): string {
  const u = new URL(listenPeerURL);
  const loopback = u.hostname === 'localhost' || u.hostname === 'localhost.' || u.hostname === '127.0.0.1';
  return `${u.protocol}//${loopback ? '127.0.0.1' : u.host.replace(/:\d+$/, '')}:${peerPort}`;
}

/** Resolves when the member logs a line matching `re`; rejects when `signal` aborts. `off` stops listening. */
export function logged(m: ProbedMember, re: RegExp | ((line: string) => boolean), signal: AbortSignal): { done: Promise<void>; off: () => void } {
  const matches = typeof re === 'function' ? re : (text: string): boolean => re.test(text);
  let off = (): void => undefined;
  const done = new Promise<void>((resolveDone, reject) => {
    const onLine = (text: string): void => {
      if (matches(text)) resolveDone();
    };
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    m.proc.on('line', onLine);
    signal.addEventListener('abort', onAbort, { once: true });
    off = () => {
      m.proc.off('line', onLine);
      signal.removeEventListener('abort', onAbort);
    };
  });
  done.catch(() => undefined);
  return { done, off: () => off() };
}

/**
 * Resolves once the member serves peer traffic: its log says so, or its peer port answers. The port is polled from
 * `pollAfterMs` on (a log at level warn has no such line): each poll of a port that is not listening yet costs a
 * refused connection and an Error, CPU the starting members need.
 */
export async function servingPeers(m: ProbedMember, tls: EtcdTlsOptions | undefined, pollAfterMs: number, signal: AbortSignal): Promise<void> {
  const local = new AbortController();
  const seen = logged(m, SERVING_PEERS, local.signal);
  const abort = (): void => local.abort(signal.reason);
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  try {
    const answered = delay(pollAfterMs, undefined, { signal: local.signal }).then(() => waitPeerUp(m, tls, local.signal));
    answered.catch(() => undefined);
    await Promise.race([seen.done, answered]);
  } finally {
    seen.off();
    signal.removeEventListener('abort', abort);
    local.abort();
  }
}

export async function waitPeerUp(m: ProbedMember, tls: EtcdTlsOptions | undefined, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    let up = false;
    try {
      up = (await EtcdClient.peerVersion(m.probeURL, PEER_PROBE_TIMEOUT_MS, { signal, tls })) !== null;
    } catch (e) {
      if (signal.aborted) throw e;
      // Something other than etcd answers there (yet): keep waiting, the member's exit or the deadline ends it.
    }
    if (up) return;
    await delay(POLL_MS, undefined, { signal });
  }
}

/**
 * Polls every member until all are healthy and agree on one leader; resolves with the leader's name. `waiting` is
 * kept up to date with what each member still waits for (null once ready); `onHealthy` runs once per member.
 */
export async function waitReady(
  list: readonly ProbedMember[],
  client: (m: ProbedMember) => EtcdClient,
  signal: AbortSignal,
  waiting: Map<string, string | null>,
  onHealthy: (m: ProbedMember) => void,
): Promise<string> {
  const healthy = new Set<string>();
  for (;;) {
    const views = await Promise.all(list.map((m) => probeReady(m, client(m), signal)));
    views.forEach((v, i) => {
      const m = list[i]!;
      if (v.healthy && !healthy.has(m.plan.name)) {
        healthy.add(m.plan.name);
        onHealthy(m);
      }
    });
    const leaders = new Set(views.map((v) => v.leader));
    const leaderId = views[0]?.leader ?? null;
    if (views.every((v) => v.healthy) && leaders.size === 1 && leaderId !== null) {
      const leader = list.find((m) => m.id === leaderId);
      if (leader) return leader.plan.name;
    }
    const claimed = pickLeader(views.map((v) => (v.status ? v.status : null)))?.id ?? null;
    views.forEach((v, i) => {
      const m = list[i]!;
      if (!v.healthy) waiting.set(m.plan.name, `GET ${m.plan.clientURL}/health to report healthy`);
      else if (v.leader !== claimed || v.leader === null) {
        const sees = list.find((x) => x.id === v.leader)?.plan.name ?? v.leader ?? 'none';
        waiting.set(m.plan.name, `all members to agree on one leader (it sees ${sees})`);
      } else waiting.set(m.plan.name, null);
    });
    await delay(POLL_MS, undefined, { signal });
  }
}

async function probeReady(m: ProbedMember, c: EtcdClient, signal: AbortSignal): Promise<{ healthy: boolean; leader: string | null; status: EtcdStatus | null }> {
  try {
    // Both at once: right after a start the health check's quorum read takes tens of ms.
    const [h, s] = await Promise.all([c.health({ timeoutMs: READY_CALL_TIMEOUT_MS, signal }), c.status({ timeoutMs: READY_CALL_TIMEOUT_MS, signal })]);
    m.id = s.memberId;
    if (!h.healthy) return { healthy: false, leader: null, status: null };
    return { healthy: true, leader: s.leader, status: s };
  } catch (e) {
    if (signal.aborted) throw e;
    return { healthy: false, leader: null, status: null };
  }
}

/** The first member (in `list` order) still waiting for something. */
export function firstWaiting(list: readonly ProbedMember[], waiting: Map<string, string | null>): string | null {
  for (const m of list) if (waiting.get(m.plan.name)) return m.plan.name;
  return null;
}

/** The NOT_READY error for a start (or a member's restart) that ended early: what, which member, its last lines. */
export function notReady(
  where: { stateDir: string; list: readonly ProbedMember[] },
  reason: Abort,
  waiting: Map<string, string | null>,
  timeoutMs: number,
): LabError {
  if (reason.kind === 'stopped') {
    return new LabError('NOT_READY', `the start of the cluster in ${where.stateDir} was interrupted: it was stopped`);
  }
  const name = reason.kind === 'exit' ? reason.name : firstWaiting(where.list, waiting);
  const m = name ? where.list.find((x) => x.plan.name === name) : undefined;
  const what = name ? waiting.get(name) : undefined;
  const details = m ? failureLines(m.proc.runLines()) : [];
  const hint = m ? `the log of ${m.plan.name} is ${m.logFile}` : undefined;
  if (reason.kind === 'exit') {
    return new LabError(
      'NOT_READY',
      `member ${reason.name} exited (${describeExit(reason.info)}) while waiting for ${what ?? 'the cluster to become ready'}`,
      { details, ...(hint ? { hint } : {}) },
    );
  }
  return new LabError(
    'NOT_READY',
    `the cluster in ${where.stateDir} was not ready within ${timeoutMs} ms: ${name ? `member ${name} was still waiting for ${what}` : 'no member answered'}`,
    { details, hint: `${hint ? `${hint}; ` : ''}a slow machine may need a longer ready timeout` },
  );
}

/** waitPeerUp with its own deadline; throws NOT_READY (with the member's last lines) on exit or timeout. */
export async function untilPeerUp(
  where: { stateDir: string; list: readonly ProbedMember[] },
  m: ProbedMember,
  tls: EtcdTlsOptions | undefined,
  timeoutMs: number,
): Promise<void> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort({ kind: 'timeout' } satisfies Abort), timeoutMs);
  const onExit = (info: ExitInfo): void => ac.abort({ kind: 'exit', name: m.plan.name, info } satisfies Abort);
  m.proc.once('exit', onExit);
  try {
    if (!m.proc.alive) throw new Error('not running');
    await waitPeerUp(m, tls, ac.signal);
  } catch (e) {
    const what = `its peer port to answer GET ${m.probeURL}/version`;
    if (!ac.signal.aborted) {
      throw new LabError('NOT_READY', `member ${m.plan.name} ended before ${what}`, {
        details: failureLines(m.proc.runLines()),
        hint: `see ${m.logFile}`,
        cause: e,
      });
    }
    throw notReady(where, ac.signal.reason as Abort, new Map([[m.plan.name, what]]), timeoutMs);
  } finally {
    clearTimeout(timer);
    m.proc.off('exit', onExit);
  }
}
