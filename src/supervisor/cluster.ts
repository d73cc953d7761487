// Runs a ClusterPlan: anchor-first start, readiness, restart policy, ordered stop, per-member control, status.
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { LabError } from '../errors.js';
import { pickLeader } from './leader-claim.js';
import { EtcdClient, type EtcdStatus, type EtcdTlsOptions } from '../etcd/client.js';
import type { RestartPolicy } from '../plan/settings.js';
import { bootstrapAnchor } from '../plan/start-order.js';
import type { ClusterPlan, MemberPlan } from '../plan/types.js';
import { clientTlsFor } from './pki.js';
import { clusterStatus, clusterVersion, queryStatus, STATUS_TIMEOUT_MS } from './cluster-status.js';
import { failureLines } from './exit-report.js';
import { epochNow, msSince } from './ready-figure.js';
import { abandonEarly, type EarlyMember } from './early-start.js';
import { pastBootstrapCheck } from '../etcd/log-lines.js';
import { memberSpawnSpec, prepareMemberDirs, type MemberPaths } from './member-spawn.js';
import { ManagedProcess, type ExitInfo, type OutputStream, type ProcessState } from './process.js';
import {
  directURL,
  firstWaiting,
  logged,
  notReady,
  PEER_POLL_GRACE_MS,
  servingPeers,
  untilPeerUp,
  waitReady,
  type Abort,
  type ProbedMember,
} from './readiness.js';
import { RestartBackoff, shouldRestart } from './restart-policy.js';
import type { StatusReport } from './status.js';

export interface ClusterOptions {
  plan: ClusterPlan;
  etcdPath: string;
  /** The directory the plan's relative paths are relative to. */
  baseDir: string;
  restart: RestartPolicy;
  /** Start every member at once, as a Procfile runner does, instead of the anchor first (slower: docs/etcd-facts.md#bootstrap-stall). */
  parallel?: boolean;
  readyTimeoutMs?: number;
  /** Members the supervisor's first stage spawned already, the anchor first (early-start.ts): start() adopts them. */
  early?: readonly EarlyMember[];
}

export type StartPhase = 'spawned' | 'peer-up' | 'healthy' | 'failed';
export interface StartProgress {
  member: string;
  phase: StartPhase;
  /** When it happened (epoch ms, ready-figure.ts epochNow). */
  at: number;
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

const LEADER_QUERY_TIMEOUT_MS = 300;
const FAILED_START_GRACE_MS = 500;

interface Member extends ProbedMember {
  client: EtcdClient | null;
  /** Down on purpose (stopMember) or by a fault (killMember): never restarted automatically. */
  held: boolean;
  restarts: RestartBackoff;
  /** Being removed from the cluster: its exit is neither reported nor restarted. */
  removing: boolean;
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
  private readonly opts: Required<Omit<ClusterOptions, 'plan' | 'early'>>;
  /** Spawned before this object existed, not adopted yet (ClusterOptions.early). */
  private early: EarlyMember[];
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
    this.early = [...(opts.early ?? [])];
    this.list = opts.plan.members.map((mp) => this.createMember(mp));
  }

  private createMember(mp: MemberPlan): Member {
    const spec = memberSpawnSpec(mp, this.paths());
    const logFile = spec.logFile!;
    const proc = new ManagedProcess({ name: mp.name, ...spec, logFile });
    const m: Member = {
      plan: mp,
      proc,
      probeURL: directURL(mp.listenPeerURL, mp.peerPort),
      logFile,
      client: null,
      id: null,
      held: false,
      restarts: new RestartBackoff(),
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
    const t0 = epochNow();
    const elapsed = (): number => msSince(t0);
    const progress = (member: string, phase: StartPhase, at = epochNow()): void =>
      onProgress?.({ member, phase, at, elapsedMs: Math.round(at - t0) });
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
        await servingPeers(m, this.tls(), pollAfterMs, ac.signal);
        progress(m.plan.name, 'peer-up');
        waiting.set(m.plan.name, `GET ${m.plan.clientURL}/health to report healthy`);
      };
      const ups: Promise<void>[] = [];
      const launch = (m: Member, pollAfterMs = PEER_POLL_GRACE_MS): void => {
        this.spawn(m);
        // An adopted member was spawned before: its progress says when.
        progress(m.plan.name, 'spawned', m.proc.spawnedAt ?? undefined);
        const up = peerUp(m, pollAfterMs);
        up.catch(() => undefined);
        ups.push(up);
      };
      try {
        const anchor = this.opts.parallel ? null : this.list[bootstrapAnchor(this.list.map((m) => m.plan))];
        if (this.early.length > 0 && this.early[0]!.name !== anchor?.plan.name) this.dropEarly();
        if (anchor) {
          // Every other member's bootstrap check asks the anchor first and stops at its answer (start-order.ts). Once
          // the anchor is past its own check (it logs `starting local member`) it asks nobody anything before serving,
          // so the others can start together: their questions wait for it at most until it serves, none of them
          // waits on another that is still checking. Its port is polled at once too: the first requests warm up
          // Node's HTTP client (~15 ms of lazy loading), which would otherwise land on the readiness check at the end.
          const pastCheck = logged(anchor, pastBootstrapCheck, ac.signal);
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
      const leader = await waitReady(this.list, (m) => this.client(m as Member), ac.signal, waiting, (m) => {
        m.proc.markRunning();
        progress(m.plan.name, 'healthy');
      });
      this.phase = 'up';
      return { leader, elapsedMs: elapsed() };
    } catch (e) {
      const reason = ac.signal.aborted ? (ac.signal.reason as Abort) : null;
      const err = reason ? this.notReady(reason, waiting) : e;
      const failed = reason?.kind === 'stopped' ? null : reason?.kind === 'exit' ? reason.name : firstWaiting(this.list, waiting);
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
    this.dropEarly();
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

  /**
   * Resolves with the leader once every member is healthy and all agree on one leader, as at the end of a start: after
   * a heal, a member that was cut off serves again only once it has heard the new leader. NOT_READY after `timeoutMs`.
   */
  async waitHealthy(timeoutMs: number): Promise<string> {
    const signal = AbortSignal.timeout(timeoutMs);
    // Until a first round of answers is in, every member waits for its health answer.
    const waiting = new Map(this.list.map((m): [string, string | null] => [m.plan.name, `GET ${m.plan.clientURL}/health to report healthy`]));
    try {
      return await waitReady(this.list, (m) => this.client(m as Member), signal, waiting, () => undefined);
    } catch (e) {
      if (!signal.aborted) throw e;
      const still = [...waiting].filter(([, w]) => w !== null).map(([name, w]) => `${name} waits for ${w}`);
      throw new LabError('NOT_READY', `the cluster was not healthy within ${timeoutMs} ms${still.length ? `: ${still.join('; ')}` : ''}`, {
        hint: 'a member that is killed, paused or cut off stays unhealthy: resume, restart or heal it first',
      });
    }
  }

  /** Every member's view, read in parallel with a short timeout; a member that does not answer has nulls. */
  status(): Promise<StatusReport> {
    return clusterStatus(this.stateDir, this.list, (m) => this.client(m));
  }

  /**
   * The cluster version (`GET /version` of the leader, else of the first member that answered status): null when none
   * answers or the cluster has not decided one yet.
   */
  clusterVersion(answers?: (EtcdStatus | null)[]): Promise<string | null> {
    return clusterVersion(this.list, (m) => this.client(m), answers);
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

  private paths(): MemberPaths {
    return { baseDir: this.opts.baseDir, stateDir: this.stateDir, etcdPath: this.opts.etcdPath };
  }

  private prepareDirs(): void {
    prepareMemberDirs(
      this.list.map((m) => m.plan),
      this.paths(),
    );
  }

  private spawn(m: Member): void {
    m.restarts.started();
    const i = this.early.findIndex((e) => e.name === m.plan.name);
    if (i < 0) return m.proc.start();
    const [early] = this.early.splice(i, 1);
    m.proc.adopt(early!.held);
  }

  /** Early members this cluster will not adopt are killed: no member runs unsupervised. */
  private dropEarly(): void {
    abandonEarly(this.early);
    this.early = [];
  }

  private onMemberExit(m: Member, info: ExitInfo): void {
    // During start an exit fails start() itself (NOT_READY with the same lines): no second report.
    if (info.expected || m.removing || this.phase === 'stopping' || this.phase === 'starting') return;
    const event: MemberExitEvent = { name: m.plan.name, code: info.code, signal: info.signal, lastLines: failureLines(m.proc.runLines()), byFault: m.held };
    this.emit('member-exit', event);
    if (this.phase !== 'up' || m.held || !shouldRestart(this.opts.restart, info)) return;
    const next = m.restarts.schedule(() => {
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
    });
    this.emit('member-restart', { name: m.plan.name, ...next } satisfies MemberRestartEvent);
  }

  private cancelRestart(m: Member): void {
    m.restarts.cancel();
  }

  private untilPeerUp(m: Member, timeoutMs: number): Promise<void> {
    return untilPeerUp({ stateDir: this.stateDir, list: this.list }, m, this.tls(), timeoutMs);
  }

  private async stopInOrder(graceMs: number): Promise<void> {
    const alive = this.list.filter((m) => m.proc.alive);
    let leader: Member | undefined;
    if (alive.length > 1) {
      const leaderId = pickLeader(await queryStatus(this.list, (m) => this.client(m), LEADER_QUERY_TIMEOUT_MS))?.id ?? null;
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

  private notReady(reason: Abort, waiting: Map<string, string | null>, timeoutMs = this.opts.readyTimeoutMs): LabError {
    return notReady({ stateDir: this.stateDir, list: this.list }, reason, waiting, timeoutMs);
  }
}
