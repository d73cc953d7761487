// Runs a ClusterPlan: anchor-first start, readiness, restart policy, ordered stop, per-member control, status.
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { pickLeader } from './leader-claim.js';
import { EtcdClient, type EtcdMember, type EtcdStatus, type EtcdTlsOptions } from '../etcd/client.js';
import type { RestartPolicy } from '../plan/settings.js';
import { bootstrapAnchor } from '../plan/start-order.js';
import type { ClusterPlan, MemberPlan } from '../plan/types.js';
import { clientTlsFor } from './pki.js';
import { ManagedProcess, memberEnv, type ExitInfo, type OutputStream, type ProcessState } from './process.js';
import type { MemberStatus, StatusReport } from './status.js';

export interface ClusterOptions {
  plan: ClusterPlan;
  etcdPath: string;
  /** The directory the plan's relative paths are relative to. */
  baseDir: string;
  restart: RestartPolicy;
  /** Start every member at once, as a Procfile runner does, instead of the anchor first (slower: docs/etcd-facts.md#bootstrap-stall). */
  parallel?: boolean;
  readyTimeoutMs?: number;
}

export type StartPhase = 'spawned' | 'peer-up' | 'healthy' | 'failed';
export interface StartProgress {
  member: string;
  phase: StartPhase;
  elapsedMs: number;
}
export interface MemberExitEvent {
  name: string;
  code: number | null;
  signal: string | null;
  lastLines: string[];
  /** Killed by a fault (`etcd-lab kill`, chaos): expected by the user, and it stays down until started. */
  byFault: boolean;
}
export interface MemberRestartEvent {
  name: string;
  attempt: number;
  delayMs: number;
}

const POLL_MS = 15;
/** etcd's zap line (3.4 to 3.6) as its peer listener starts serving: after its own bootstrap check, if any. */
const SERVING_PEERS = /"msg":"serving peer traffic"/;
/** etcd's zap line when startNode/restartNode begins (3.4 to 3.6): after the bootstrap check of its peers, if any. */
const PAST_BOOTSTRAP_CHECK = /"msg":"(re)?starting local member"/;
const PEER_POLL_GRACE_MS = 250;
const PEER_PROBE_TIMEOUT_MS = 250;
const READY_CALL_TIMEOUT_MS = 300;
const STATUS_TIMEOUT_MS = 500;
const LEADER_QUERY_TIMEOUT_MS = 300;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 8000;
const BACKOFF_RESET_AFTER_MS = 30_000;
const FAILED_START_GRACE_MS = 500;
const DETAIL_LINES = 20;

interface Member {
  plan: MemberPlan;
  proc: ManagedProcess;
  /** Where the peer port answers directly (the advertised host may be `localhost.`, which goes through a proxy). */
  probeURL: string;
  logFile: string;
  client: EtcdClient | null;
  /** Hex member ID, learned from its first status answer. */
  id: string | null;
  /** Down on purpose (stopMember) or by a fault (killMember): never restarted automatically. */
  held: boolean;
  restartTimer: NodeJS.Timeout | null;
  backoffMs: number;
  restarts: number;
  startedAt: number;
  /** Being removed from the cluster: its exit is neither reported nor restarted. */
  removing: boolean;
}

type Abort = { kind: 'timeout' } | { kind: 'stopped' } | { kind: 'exit'; name: string; info: ExitInfo };

function dataDirArgs(args: string[], dataDir: string): string[] {
  const out = [...args];
  const i = out.indexOf('--data-dir');
  if (i >= 0) out[i + 1] = dataDir;
  else {
    const j = out.findIndex((a) => a.startsWith('--data-dir='));
    if (j >= 0) out[j] = `--data-dir=${dataDir}`;
    else out.push('--data-dir', dataDir);
  }
  return out;
}

function directURL(listenPeerURL: string, peerPort: number): string {
  const u = new URL(listenPeerURL);
  const loopback = u.hostname === 'localhost' || u.hostname === 'localhost.' || u.hostname === '127.0.0.1';
  return `${u.protocol}//${loopback ? '127.0.0.1' : u.host.replace(/:\d+$/, '')}:${peerPort}`;
}

/** The lines worth showing for a failed member: its last lines, without etcd's usage text after a flag error. */
export function failureLines(lines: string[], n = DETAIL_LINES): string[] {
  const usage = lines.findIndex((l) => l.trim() === 'Usage:');
  return (usage >= 0 ? lines.slice(0, usage) : lines).slice(-n);
}

function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  if (info.code === null) return 'could not be started';
  return `exit code ${info.code}`;
}


/**
 * Events: `'line'(member, text, stream)`, `'member-state'(member, state)`, `'member-exit'(MemberExitEvent)`,
 * `'member-restart'(MemberRestartEvent)` when a restart is scheduled, `'member-up'(member)` when a restarted
 * member's peer port answers again.
 */
export class Cluster extends EventEmitter {
  readonly plan: ClusterPlan;
  /** Absolute state directory (baseDir + plan.dir). */
  readonly stateDir: string;
  private readonly opts: Required<Omit<ClusterOptions, 'plan'>>;
  private readonly list: Member[];
  private readonly byName = new Map<string, Member>();
  private phase: 'idle' | 'starting' | 'up' | 'stopping' = 'idle';
  private startAbort: AbortController | null = null;
  private stopping: Promise<void> | null = null;
  private settleCut: (() => void) | null = null;
  /** The client certificate for talking to members of a TLS cluster, read on first use. */
  private tlsOptions: EtcdTlsOptions | undefined | null = null;

  constructor(opts: ClusterOptions) {
    super();
    this.plan = opts.plan;
    this.opts = {
      etcdPath: opts.etcdPath,
      baseDir: resolve(opts.baseDir),
      restart: opts.restart,
      parallel: opts.parallel ?? false,
      readyTimeoutMs: opts.readyTimeoutMs ?? 20_000,
    };
    this.stateDir = resolve(this.opts.baseDir, opts.plan.dir);
    this.list = opts.plan.members.map((mp) => this.createMember(mp));
  }

  private createMember(mp: MemberPlan): Member {
    const dataDir = resolve(this.opts.baseDir, mp.dataDir);
    const logFile = join(this.stateDir, 'logs', `${mp.name}.log`);
    const proc = new ManagedProcess({
      name: mp.name,
      command: { argv: [mp.etcdPath ?? this.opts.etcdPath, ...dataDirArgs(mp.args, dataDir)] },
      cwd: this.opts.baseDir,
      env: memberEnv(process.env, mp.env),
      logFile,
      // A member must outlive a supervisor that is SIGKILLed (and be reaped later), not die of SIGPIPE.
      outputToLog: true,
    });
    const m: Member = {
      plan: mp,
      proc,
      probeURL: directURL(mp.listenPeerURL, mp.peerPort),
      logFile,
      client: null,
      id: null,
      held: false,
      restartTimer: null,
      backoffMs: BACKOFF_FIRST_MS,
      restarts: 0,
      startedAt: 0,
      removing: false,
    };
    proc.on('line', (text: string, stream: OutputStream) => this.emit('line', mp.name, text, stream));
    proc.on('state', (s: ProcessState) => this.emit('member-state', mp.name, s));
    proc.on('exit', (info: ExitInfo) => this.onMemberExit(m, info));
    this.byName.set(mp.name, m);
    return m;
  }

  /** True once start() has made every member ready, until a stop begins. */
  get isUp(): boolean {
    return this.phase === 'up';
  }

  /**
   * Takes a member that is joining the running cluster into the supervision (and into `plan.members`). It is not
   * started: startMember() does that.
   */
  addMember(mp: MemberPlan): void {
    if (this.byName.has(mp.name)) {
      throw new LabError('BAD_NAME', `member name "${mp.name}" is already used in ${this.stateDir}`, { hint: 'choose another name' });
    }
    this.list.push(this.createMember(mp));
    this.plan.members.push(mp);
  }

  /**
   * Stops a member and drops it from the supervision and from `plan.members`. `beforeStop` runs first (the etcd
   * removal, while the member still runs); when it fails the member stays as it was.
   */
  async removeMember(name: string, beforeStop?: () => Promise<void>, graceMs = 3000): Promise<void> {
    const m = this.member(name);
    const held = m.held;
    m.held = true;
    m.removing = true;
    this.cancelRestart(m);
    try {
      await beforeStop?.();
    } catch (e) {
      m.held = held;
      m.removing = false;
      throw e;
    }
    await m.proc.stop(graceMs);
    m.proc.removeAllListeners();
    m.client?.close();
    this.list.splice(this.list.indexOf(m), 1);
    this.byName.delete(name);
    const i = this.plan.members.findIndex((x) => x.name === name);
    if (i >= 0) this.plan.members.splice(i, 1);
  }

  /** Replaces the plan of a member that is down (e.g. a new peer port); it keeps its place, name and log. */
  updateMember(mp: MemberPlan): void {
    const old = this.member(mp.name);
    if (old.proc.alive) throw new LabError('INTERNAL', `member ${mp.name} must be stopped before its plan changes`);
    old.proc.removeAllListeners();
    old.client?.close();
    const m = this.createMember(mp);
    m.held = old.held;
    m.id = old.id;
    this.list[this.list.indexOf(old)] = m;
    const i = this.plan.members.findIndex((x) => x.name === mp.name);
    if (i >= 0) this.plan.members[i] = mp;
  }

  logFile(name: string): string {
    return this.member(name).logFile;
  }

  members(): { name: string; pid: number | null; state: ProcessState }[] {
    return this.list.map((m) => ({ name: m.plan.name, pid: m.proc.pid, state: m.proc.state }));
  }

  /**
   * Starts every member (the bootstrap anchor first, then the others together, unless `parallel`) and resolves once
   * every member is healthy and all agree on one leader. On failure everything is stopped and a NOT_READY LabError is
   * thrown.
   */
  async start(onProgress?: (e: StartProgress) => void): Promise<{ leader: string; elapsedMs: number }> {
    if (this.phase !== 'idle' || this.list.some((m) => m.proc.alive)) {
      throw new LabError('INTERNAL', `the cluster in ${this.stateDir} is already ${this.phase === 'idle' ? 'running' : this.phase}`);
    }
    this.phase = 'starting';
    const t0 = performance.now();
    const elapsed = (): number => Math.round(performance.now() - t0);
    const progress = (member: string, phase: StartPhase): void => onProgress?.({ member, phase, elapsedMs: elapsed() });
    const ac = new AbortController();
    this.startAbort = ac;
    const timer = setTimeout(() => ac.abort({ kind: 'timeout' } satisfies Abort), this.opts.readyTimeoutMs);
    /** What each spawned member is still waiting for; null once it is ready. */
    const waiting = new Map<string, string | null>();
    const exitListeners = this.list.map((m) => {
      const l = (info: ExitInfo): void => {
        if (!info.expected) ac.abort({ kind: 'exit', name: m.plan.name, info } satisfies Abort);
      };
      m.proc.on('exit', l);
      return () => m.proc.off('exit', l);
    });
    try {
      this.prepareDirs();
      const peerUp = async (m: Member, pollAfterMs: number): Promise<void> => {
        waiting.set(m.plan.name, `its peer port to answer GET ${m.probeURL}/version`);
        await this.servingPeers(m, pollAfterMs, ac.signal);
        progress(m.plan.name, 'peer-up');
        waiting.set(m.plan.name, `GET ${m.plan.clientURL}/health to report healthy`);
      };
      const ups: Promise<void>[] = [];
      const launch = (m: Member, pollAfterMs = PEER_POLL_GRACE_MS): void => {
        this.spawn(m);
        progress(m.plan.name, 'spawned');
        const up = peerUp(m, pollAfterMs);
        up.catch(() => undefined);
        ups.push(up);
      };
      try {
        const anchor = this.opts.parallel ? null : this.list[bootstrapAnchor(this.list.map((m) => m.plan))];
        if (anchor) {
          // Every other member's bootstrap check asks the anchor first and stops at its answer (start-order.ts). Once
          // the anchor is past its own check (it logs `starting local member`) it asks nobody anything before serving,
          // so the others can start together: their questions wait for it at most until it serves, none of them
          // waits on another that is still checking. Its port is polled at once too: the first requests warm up
          // Node's HTTP client (~15 ms of lazy loading), which would otherwise land on the readiness check at the end.
          const pastCheck = this.logged(anchor, PAST_BOOTSTRAP_CHECK, ac.signal);
          launch(anchor, 0);
          await Promise.race([ups[0], pastCheck.done]).finally(pastCheck.off);
        }
        for (const m of this.list) {
          ac.signal.throwIfAborted();
          if (m !== anchor) launch(m);
        }
      } finally {
        await Promise.allSettled(ups);
      }
      await Promise.all(ups);
      const leader = await this.waitReady(ac.signal, waiting, (name) => progress(name, 'healthy'));
      this.phase = 'up';
      return { leader, elapsedMs: elapsed() };
    } catch (e) {
      const reason = ac.signal.aborted ? (ac.signal.reason as Abort) : null;
      const err = reason ? this.notReady(reason, waiting) : e;
      const failed = reason?.kind === 'stopped' ? null : reason?.kind === 'exit' ? reason.name : this.firstWaiting(waiting);
      if (failed) progress(failed, 'failed');
      await this.stop(FAILED_START_GRACE_MS);
      throw err;
    } finally {
      clearTimeout(timer);
      for (const off of exitListeners) off();
      if (this.startAbort === ac) this.startAbort = null;
    }
  }

  /**
   * Stops every member, followers first and the leader last: SIGTERM, then SIGKILL after `graceMs`.
   * Calling again while a stop runs returns the same promise; `stop(0)` then kills everything at once.
   */
  stop(graceMs = 3000): Promise<void> {
    if (this.stopping) {
      if (graceMs <= 0) {
        this.settleCut?.();
        for (const m of this.list) void m.proc.stop(0);
      }
      return this.stopping;
    }
    this.startAbort?.abort({ kind: 'stopped' } satisfies Abort);
    this.phase = 'stopping';
    for (const m of this.list) this.cancelRestart(m);
    this.stopping = this.stopInOrder(graceMs).finally(() => {
      this.phase = 'idle';
      this.stopping = null;
      for (const m of this.list) {
        m.client?.close();
        m.client = null;
      }
    });
    return this.stopping;
  }

  /** Stops a member and holds it down; resolves with how it ended (null when it was not running). */
  async stopMember(name: string, graceMs = 3000): Promise<ExitInfo | null> {
    const m = this.member(name);
    m.held = true;
    this.cancelRestart(m);
    let exit: ExitInfo | null = null;
    const onExit = (info: ExitInfo): void => {
      exit = info;
    };
    if (m.proc.alive) m.proc.once('exit', onExit);
    try {
      await m.proc.stop(graceMs);
    } finally {
      m.proc.off('exit', onExit);
    }
    return exit;
  }

  /** The binary a member runs: its own since an upgrade, else the cluster's. */
  binaryOf(name: string): string {
    return this.member(name).plan.etcdPath ?? this.opts.etcdPath;
  }

  /** Starts a member that is down (or resumes a paused one); resolves when its peer port answers. */
  async startMember(name: string): Promise<void> {
    const m = this.member(name);
    if (this.phase === 'stopping') {
      throw new LabError('NOT_RUNNING', `cannot start ${name}: the cluster in ${this.stateDir} is stopping`);
    }
    this.cancelRestart(m);
    m.held = false;
    if (m.proc.state === 'paused') m.proc.resume();
    if (!m.proc.alive) {
      this.prepareDirs();
      this.spawn(m);
    }
    await this.untilPeerUp(m, this.opts.readyTimeoutMs);
    m.proc.markRunning();
  }

  async restartMember(name: string): Promise<void> {
    await this.stopMember(name);
    await this.startMember(name);
  }

  /** A fault: sends `signal` to the member's process group; a member killed this way stays down until started. */
  killMember(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    const m = this.requireAlive(name);
    if (signal === 'SIGSTOP') return this.pauseMember(name);
    if (signal === 'SIGCONT') return this.resumeMember(name);
    m.held = true;
    this.cancelRestart(m);
    m.proc.signal(signal);
  }

  pauseMember(name: string): void {
    this.requireAlive(name).proc.pause();
  }

  resumeMember(name: string): void {
    this.requireAlive(name).proc.resume();
  }

  /** Every member's view, read in parallel with a short timeout; a member that does not answer has nulls. */
  async status(): Promise<StatusReport> {
    const [answers, listed] = await Promise.all([this.queryStatus(STATUS_TIMEOUT_MS), this.quickMemberList(STATUS_TIMEOUT_MS)]);
    const clusterVersion = await this.clusterVersion(answers);
    const learner = (m: Member): boolean =>
      listed?.some((x) => x.isLearner && (x.id === m.id || x.name === m.plan.name || x.peerURLs.includes(m.plan.peerURL))) ?? false;
    const claim = pickLeader(answers);
    const leaderId = claim?.id ?? null;
    const leader = leaderId === null ? null : (this.list.find((m) => m.id === leaderId)?.plan.name ?? null);
    const members: MemberStatus[] = this.list.map((m, i) => {
      const s = answers[i] ?? null;
      return {
        name: m.plan.name,
        state: m.proc.state,
        pid: m.proc.pid,
        id: s?.memberId ?? null,
        clientURL: m.plan.clientURL,
        peerURL: m.plan.peerURL,
        isLearner: s?.isLearner === true || learner(m),
        isLeader: s !== null && leaderId !== null && s.memberId === leaderId,
        raftTerm: s?.raftTerm ?? null,
        raftIndex: s?.raftIndex ?? null,
        revision: s?.revision ?? null,
        dbSize: s?.dbSize ?? null,
        version: s?.version || null,
      };
    });
    return { dir: this.stateDir, leader, leaderTerm: claim === null ? null : String(claim.term), clusterVersion, members };
  }

  /**
   * The cluster version (`GET /version` of the leader, else of the first member that answered status): null when none
   * answers or the cluster has not decided one yet.
   */
  async clusterVersion(answers?: (EtcdStatus | null)[]): Promise<string | null> {
    const got = answers ?? (await this.queryStatus(STATUS_TIMEOUT_MS));
    const leaderId = pickLeader(got)?.id ?? null;
    const atLeader = got.findIndex((s) => s !== null && s.memberId === leaderId);
    const i = atLeader >= 0 ? atLeader : got.findIndex((s) => s !== null);
    const m = i >= 0 ? this.list[i] : undefined;
    if (!m) return null;
    try {
      const v = await this.client(m).version({ timeoutMs: STATUS_TIMEOUT_MS });
      return v.etcdcluster === '' || v.etcdcluster === 'not_decided' ? null : v.etcdcluster;
    } catch {
      return null;
    }
  }

  private member(name: string): Member {
    const m = this.byName.get(name);
    if (!m) {
      throw new LabError('UNKNOWN_MEMBER', `there is no member "${name}" in ${this.stateDir}`, {
        hint: `members: ${this.list.map((x) => x.plan.name).join(', ')}`,
      });
    }
    return m;
  }

  private requireAlive(name: string): Member {
    const m = this.member(name);
    if (!m.proc.alive) {
      throw new LabError('NOT_RUNNING', `member ${name} is not running (it is ${m.proc.state})`, {
        hint: `start it first: etcd-lab start ${name}`,
      });
    }
    return m;
  }

  private client(m: Member): EtcdClient {
    m.client ??= new EtcdClient(m.plan.clientURL, { timeoutMs: STATUS_TIMEOUT_MS, tls: this.tls() });
    return m.client;
  }

  private tls(): EtcdTlsOptions | undefined {
    if (this.tlsOptions === null) this.tlsOptions = clientTlsFor(this.plan);
    return this.tlsOptions;
  }

  private prepareDirs(): void {
    mkdirSync(join(this.stateDir, 'logs'), { recursive: true });
    mkdirSync(join(this.stateDir, 'data'), { recursive: true, mode: 0o700 });
    for (const m of this.list) {
      const dir = resolve(this.opts.baseDir, m.plan.dataDir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // etcd 3.5+ refuses a data dir that others can read.
      chmodSync(dir, 0o700);
    }
  }

  private spawn(m: Member): void {
    m.startedAt = Date.now();
    m.proc.start();
  }

  private onMemberExit(m: Member, info: ExitInfo): void {
    // During start an exit fails start() itself (NOT_READY with the same lines): no second report.
    if (info.expected || m.removing || this.phase === 'stopping' || this.phase === 'starting') return;
    const event: MemberExitEvent = { name: m.plan.name, code: info.code, signal: info.signal, lastLines: failureLines(m.proc.runLines()), byFault: m.held };
    this.emit('member-exit', event);
    if (this.phase !== 'up' || m.held || this.opts.restart === 'never') return;
    if (Date.now() - m.startedAt >= BACKOFF_RESET_AFTER_MS) m.backoffMs = BACKOFF_FIRST_MS;
    const delayMs = m.backoffMs;
    m.backoffMs = Math.min(m.backoffMs * 2, BACKOFF_MAX_MS);
    m.restarts++;
    this.emit('member-restart', { name: m.plan.name, attempt: m.restarts, delayMs } satisfies MemberRestartEvent);
    m.restartTimer = setTimeout(() => {
      m.restartTimer = null;
      if (this.phase !== 'up' || m.held || m.proc.alive) return;
      this.spawn(m);
      this.untilPeerUp(m, this.opts.readyTimeoutMs).then(
        () => {
          m.proc.markRunning();
          this.emit('member-up', m.plan.name);
        },
        () => {
          /* it exited again (handled by this method) or is still not up: its state says so */
        },
      );
    }, delayMs);
  }

  private cancelRestart(m: Member): void {
    if (m.restartTimer) clearTimeout(m.restartTimer);
    m.restartTimer = null;
  }

  /** Resolves when the member logs a line matching `re`; rejects when `signal` aborts. `off` stops listening. */
  private logged(m: Member, re: RegExp, signal: AbortSignal): { done: Promise<void>; off: () => void } {
    let off = (): void => undefined;
    const done = new Promise<void>((resolveDone, reject) => {
      const onLine = (text: string): void => {
        if (re.test(text)) resolveDone();
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
  private async servingPeers(m: Member, pollAfterMs: number, signal: AbortSignal): Promise<void> {
    const local = new AbortController();
    const logged = this.logged(m, SERVING_PEERS, local.signal);
    const abort = (): void => local.abort(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      const answered = delay(pollAfterMs, undefined, { signal: local.signal }).then(() => this.waitPeerUp(m, local.signal));
      answered.catch(() => undefined);
      await Promise.race([logged.done, answered]);
    } finally {
      logged.off();
      signal.removeEventListener('abort', abort);
      local.abort();
    }
  }

  private async waitPeerUp(m: Member, signal: AbortSignal): Promise<void> {
    const tls = this.tls();
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

  /** waitPeerUp with its own deadline; throws NOT_READY (with the member's last lines) on exit or timeout. */
  private async untilPeerUp(m: Member, timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort({ kind: 'timeout' } satisfies Abort), timeoutMs);
    const onExit = (info: ExitInfo): void => ac.abort({ kind: 'exit', name: m.plan.name, info } satisfies Abort);
    m.proc.once('exit', onExit);
    try {
      if (!m.proc.alive) throw new Error('not running');
      await this.waitPeerUp(m, ac.signal);
    } catch (e) {
      const what = `its peer port to answer GET ${m.probeURL}/version`;
      if (!ac.signal.aborted) {
        throw new LabError('NOT_READY', `member ${m.plan.name} ended before ${what}`, {
          details: failureLines(m.proc.runLines()),
          hint: `see ${m.logFile}`,
          cause: e,
        });
      }
      throw this.notReady(ac.signal.reason as Abort, new Map([[m.plan.name, what]]), timeoutMs);
    } finally {
      clearTimeout(timer);
      m.proc.off('exit', onExit);
    }
  }

  private async waitReady(signal: AbortSignal, waiting: Map<string, string | null>, onHealthy: (name: string) => void): Promise<string> {
    const healthy = new Set<string>();
    for (;;) {
      const views = await Promise.all(this.list.map((m) => this.probeReady(m, signal)));
      views.forEach((v, i) => {
        const name = this.list[i]!.plan.name;
        if (v.healthy && !healthy.has(name)) {
          healthy.add(name);
          this.list[i]!.proc.markRunning();
          onHealthy(name);
        }
      });
      const leaders = new Set(views.map((v) => v.leader));
      const leaderId = views[0]?.leader ?? null;
      if (views.every((v) => v.healthy) && leaders.size === 1 && leaderId !== null) {
        const leader = this.list.find((m) => m.id === leaderId);
        if (leader) return leader.plan.name;
      }
      const claimed = pickLeader(views.map((v) => (v.status ? v.status : null)))?.id ?? null;
      views.forEach((v, i) => {
        const m = this.list[i]!;
        if (!v.healthy) waiting.set(m.plan.name, `GET ${m.plan.clientURL}/health to report healthy`);
        else if (v.leader !== claimed || v.leader === null) {
          const sees = this.list.find((x) => x.id === v.leader)?.plan.name ?? v.leader ?? 'none';
          waiting.set(m.plan.name, `all members to agree on one leader (it sees ${sees})`);
        } else waiting.set(m.plan.name, null);
      });
      await delay(POLL_MS, undefined, { signal });
    }
  }

  private async probeReady(m: Member, signal: AbortSignal): Promise<{ healthy: boolean; leader: string | null; status: EtcdStatus | null }> {
    const c = this.client(m);
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

  /** The member list as the first running member tells it; null when it does not answer in time. */
  private async quickMemberList(timeoutMs: number): Promise<EtcdMember[] | null> {
    const m = this.list.find((x) => x.proc.state === 'running');
    if (!m) return null;
    try {
      return await this.client(m).memberList({ timeoutMs });
    } catch {
      return null;
    }
  }

  private async queryStatus(timeoutMs: number): Promise<(EtcdStatus | null)[]> {
    return Promise.all(
      this.list.map(async (m) => {
        if (m.proc.state !== 'running' && m.proc.state !== 'starting') return null;
        try {
          const s = await this.client(m).status({ timeoutMs });
          m.id = s.memberId;
          return s;
        } catch {
          return null;
        }
      }),
    );
  }

  private async stopInOrder(graceMs: number): Promise<void> {
    const alive = this.list.filter((m) => m.proc.alive);
    let leader: Member | undefined;
    if (alive.length > 1) {
      const leaderId = pickLeader(await this.queryStatus(LEADER_QUERY_TIMEOUT_MS))?.id ?? null;
      leader = alive.find((m) => m.id !== null && m.id === leaderId);
    }
    await Promise.all(this.list.filter((m) => m !== leader).map((m) => m.proc.stop(graceMs)));
    if (!leader) return;
    // A leader that still believes a stopped follower is connected hands leadership to it on SIGTERM and
    // then waits seconds for a transfer that cannot finish. Its next heartbeats to the dead peers fail and
    // mark them inactive; after that it skips the transfer and exits at once.
    if (graceMs > 0 && leader.proc.alive) await this.settle(3 * this.plan.heartbeatInterval + 20);
    await leader.proc.stop(graceMs);
  }

  /** A pause that a forced stop (`stop(0)`) cuts short. */
  private settle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.settleCut = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.settleCut = null;
    });
  }

  private firstWaiting(waiting: Map<string, string | null>): string | null {
    for (const m of this.list) if (waiting.get(m.plan.name)) return m.plan.name;
    return null;
  }

  private notReady(reason: Abort, waiting: Map<string, string | null>, timeoutMs = this.opts.readyTimeoutMs): LabError {
    if (reason.kind === 'stopped') {
      return new LabError('NOT_READY', `the start of the cluster in ${this.stateDir} was interrupted: it was stopped`);
    }
    const name = reason.kind === 'exit' ? reason.name : this.firstWaiting(waiting);
    const m = name ? this.byName.get(name) : undefined;
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
      `the cluster in ${this.stateDir} was not ready within ${timeoutMs} ms: ${name ? `member ${name} was still waiting for ${what}` : 'no member answered'}`,
      { details, hint: `${hint ? `${hint}; ` : ''}a slow machine may need a longer ready timeout` },
    );
  }
}
