// The long-running owner of one state dir: the cluster, its lock, state.json and the control socket.
import { epochNow, msSince, type ReadyFigure } from './ready-figure.js';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { endStartTrace, startMark } from '../start-trace.js';
import { LabError } from '../errors.js';
import type { RestartPolicy } from '../plan/settings.js';
import type { ClusterPlan } from '../plan/types.js';
import { Cluster, type StartProgress } from './cluster.js';
import type { ControlHandler } from './control.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { abandonEarly, type EarlyMember, type EarlyStart } from './early-start.js';
import { membersWithData, ownedFiles, removeOwned } from './owned-files.js';
import { reapStale, type ReapedMember } from './reap.js';
import { acquireLock, statePaths, writeJsonAtomic, writeState, type DirLock } from './state-dir.js';
import type { PeerNetworkHook, SupervisorExtension } from './extension.js';
import type { GrpcProxy } from './grpc-proxy.js';
import type { Membership } from './membership.js';
import type { UpgradeResult } from './upgrade.js';

export interface SupervisorOptions {
  /** Absolute state dir; the plan's paths are absolute inside it. */
  dir: string;
  plan: ClusterPlan;
  etcdPath: string;
  etcdVersion: string;
  restart: RestartPolicy;
  parallel?: boolean;
  readyTimeoutMs?: number;
  /** Run `etcd grpc-proxy start` on 127.0.0.1:<port> in front of the members once they are ready. */
  grpcProxyPort?: number;
  /** What the ready figure counts from (epoch ms, ready-figure.ts): the user's command; default: start(). */
  countFrom?: number;
}

export class Supervisor extends EventEmitter {
  readonly cluster: Cluster;
  readonly dir: string;
  readonly reaped: ReapedMember[];
  private readonly opts: SupervisorOptions;
  private readonly lock: DirLock;
  private control: ControlServer | null = null;
  private readonly startedAt = new Date().toISOString();
  private shuttingDown: Promise<void> | null = null;
  /** start() failed: the shutdown forgets a cluster that never wrote data (forgetUnbornCluster). */
  private startFailed = false;
  private stateQueued: NodeJS.Immediate | null = null;
  /** What higher layers plugged in (chaos: chaos/attach.ts). */
  private readonly extensions: SupervisorExtension[] = [];
  /** Chaos mode's proxies (null without --chaos). */
  network: PeerNetworkHook | null = null;
  /** The gRPC proxy of `up --grpc-proxy` (null without). */
  grpcProxy: GrpcProxy | null = null;
  /** Members added, promoted, removed and moved at run time: loaded on the first such request. */
  private membershipLoad: Promise<Membership> | null = null;
  /** Membership changes and upgrades run one at a time. */
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(opts: SupervisorOptions, lock: DirLock, reaped: ReapedMember[], early: readonly EarlyMember[]) {
    super();
    this.opts = opts;
    this.dir = opts.dir;
    this.lock = lock;
    this.reaped = reaped;
    this.cluster = new Cluster({
      plan: opts.plan,
      etcdPath: opts.etcdPath,
      baseDir: opts.dir,
      restart: opts.restart,
      ...(opts.parallel !== undefined ? { parallel: opts.parallel } : {}),
      ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      early,
    });
    this.cluster.on('member-state', () => this.saveState());
  }

  /** Membership changes of the running cluster (loaded on first use). */
  membership(): Promise<Membership> {
    this.membershipLoad ??= import('./membership.js').then(
      ({ Membership }) =>
        new Membership({
          cluster: this.cluster,
          dir: this.dir,
          readyTimeoutMs: this.opts.readyTimeoutMs ?? 20_000,
          network: () => this.network,
          grpcProxy: () => this.grpcProxy,
          persist: () => this.persist(),
        }),
    );
    return this.membershipLoad;
  }

  private persist(): void {
    writeJsonAtomic(statePaths(this.dir).plan, this.opts.plan);
    this.saveStateNow();
  }

  /** Runs `fn` after every membership change or upgrade asked for before it. */
  private oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.changes.then(fn, fn);
    this.changes = run.catch(() => undefined);
    return run;
  }

  private async upgrade(args: Record<string, unknown>, say: (text: string) => void): Promise<UpgradeResult> {
    const target = args.member;
    const etcdPath = args.etcdPath;
    if (typeof target !== 'string' || target === '' || typeof etcdPath !== 'string' || etcdPath === '') {
      throw new LabError('USAGE', 'upgrade needs a member (or all) and the path of the new etcd binary');
    }
    const [{ rollingUpgrade }, { parseEtcdVersionOutput }] = await Promise.all([import('./upgrade.js'), import('../etcd/version.js')]);
    return rollingUpgrade(
      {
        cluster: this.cluster,
        readyTimeoutMs: this.opts.readyTimeoutMs ?? 20_000,
        defaultVersion: () => parseEtcdVersionOutput(`etcd Version: ${this.opts.etcdVersion}`, this.opts.etcdPath),
        persist: () => this.persist(),
        adopt: (path, version) => {
          this.opts.etcdPath = path;
          this.opts.etcdVersion = version.text;
          this.opts.plan.etcdVersion = version;
        },
      },
      { target, etcdPath },
      say,
    );
  }

  /**
   * Takes the dir (DIR_IN_USE if a live supervisor holds it), reaps members a dead supervisor left, saves the plan.
   * After the first stage (early-start.ts) the lock and the reaping are its, and the members it spawned are adopted by
   * start(); a failure here kills them.
   */
  static async open(opts: SupervisorOptions, early: EarlyStart | null = null): Promise<Supervisor> {
    const lock = early?.lock ?? acquireLock(opts.dir);
    if (!early) startMark('dir locked');
    try {
      const reaped = early?.reaped ?? (await reapStale(opts.dir, { scan: 'if-data' }));
      if (!early) startMark('stale members reaped');
      const paths = statePaths(opts.dir);
      mkdirSync(paths.logs, { recursive: true });
      mkdirSync(paths.data, { recursive: true, mode: 0o700 });
      writeJsonAtomic(paths.plan, opts.plan);
      startMark('plan saved');
      return new Supervisor(opts, lock, reaped, early?.members ?? []);
    } catch (e) {
      if (early) abandonEarly(early.members);
      lock.release();
      throw e;
    }
  }

  /** Plugs in a higher layer (chaos/attach.ts); call before start(). */
  extend(ext: SupervisorExtension): void {
    this.extensions.push(ext);
  }

  /** Starts members and the control socket; resolves once the cluster is ready. On failure everything is stopped. */
  async start(onProgress?: (e: StartProgress) => void): Promise<ReadyFigure> {
    const t0 = epochNow();
    try {
      if (this.opts.plan.chaos) {
        const start = this.extensions.find((x) => x.startNetwork)?.startNetwork;
        if (!start) throw new LabError('INTERNAL', 'a chaos plan needs its peer proxies: attach chaos (chaos/attach.ts) before start()');
        const network = await start(this.opts.plan);
        if (this.shuttingDown) await network.close();
        else this.network = network;
        this.throwIfStopping();
      }
      const control = await startControlServer(statePaths(this.dir).sock, Object.assign(this.handlers(), ...this.extensions.map((x) => x.handlers)));
      // A stop that came meanwhile has already closed what was open: this must not outlive it, nor may members start.
      if (this.shuttingDown) await control.close().catch(() => undefined);
      else this.control = control;
      this.throwIfStopping();
      startMark('control socket listening');
      // Fault injection's code loads while the members start, not before.
      const loads = Promise.all(this.extensions.map((x) => x.load?.()));
      loads.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile
      // Progress times count from where the ready figure counts: the user's command.
      const from = this.opts.countFrom ?? t0;
      const ready = await this.cluster.start(onProgress && ((e) => onProgress({ ...e, elapsedMs: Math.max(0, Math.round(e.at - from)) })));
      await loads;
      // Before reporting ready in chaos mode, prove each member's peer traffic passes through its own proxy.
      await this.network?.verify(5000);
      if (this.opts.grpcProxyPort !== undefined) {
        const [{ GrpcProxy }, { clientTlsFiles }] = await Promise.all([import('./grpc-proxy.js'), import('./pki.js')]);
        const proxy = new GrpcProxy({
          etcdPath: this.opts.etcdPath,
          dir: this.dir,
          host: '127.0.0.1',
          port: this.opts.grpcProxyPort,
          endpoints: this.opts.plan.members.map((m) => m.clientURL),
          tls: clientTlsFiles(this.opts.plan),
        });
        proxy.on('exit', (e: { code: number | null; signal: string | null }) => this.emit('grpc-proxy-exit', e));
        this.grpcProxy = proxy;
        await proxy.start();
      }
      // Written before the cluster is reported ready: whoever starts the next command finds every pid.
      this.saveStateNow();
      endStartTrace();
      return { leader: ready.leader, elapsedMs: msSince(this.opts.countFrom ?? t0), supervisorMs: msSince(t0) };
    } catch (e) {
      this.startFailed = true;
      await this.shutdown();
      throw e;
    }
  }

  /**
   * A new cluster whose start failed before any member wrote data (a bad flag, a binary that dies) is not a stopped
   * cluster: its plan and state go, so `status` and the next `up` do not take it for one. Its logs stay, to read why.
   */
  private forgetUnbornCluster(): void {
    const paths = statePaths(this.dir);
    try {
      if (membersWithData(paths.data).length > 0) return;
      removeOwned(paths, ownedFiles(this.dir, paths, 'down --clean').filter((p) => !p.startsWith(`${paths.logs}/`)));
    } catch {
      /* the start's own error is the one to report; what is left is what `down --clean` can remove */
    }
  }

  private throwIfStopping(): void {
    if (this.shuttingDown) throw new LabError('NOT_READY', `the start of the cluster in ${this.dir} was interrupted: it was stopped`);
  }

  /**
   * Writes state.json once for all the changes of this turn of the event loop: a start changes every member's state,
   * and each write costs a rename (1-5 ms here, on the path of the next member's spawn).
   */
  saveState(): void {
    this.stateQueued ??= setImmediate(() => this.saveStateNow());
  }

  private saveStateNow(): void {
    if (this.stateQueued) clearImmediate(this.stateQueued);
    this.stateQueued = null;
    if (this.shuttingDown && !this.control) return;
    this.writeStateFile(true);
  }

  private writeStateFile(withPids: boolean): void {
    writeState(this.dir, {
      version: 1,
      supervisorPid: process.pid,
      startedAt: this.startedAt,
      etcdPath: this.opts.etcdPath,
      etcdVersion: this.opts.etcdVersion,
      chaos: this.opts.plan.chaos,
      members: this.opts.plan.members.map((m) => ({
        name: m.name,
        pid: withPids ? (this.cluster.members().find((x) => x.name === m.name)?.pid ?? null) : null,
        clientPort: m.clientPort,
        peerPort: m.peerPort,
        proxyPort: m.proxyPort,
        ...(m.etcdPath !== undefined && m.etcdPath !== this.opts.etcdPath ? { etcdPath: m.etcdPath, etcdVersion: m.etcdVersion?.text } : {}),
      })),
    });
  }

  /** Stops every member (followers first, leader last), closes the socket, releases the dir. Idempotent. */
  shutdown(graceMs = 3000): Promise<void> {
    if (graceMs === 0 && this.shuttingDown) {
      // A second Ctrl-C: kill what is left now; the first shutdown finishes the rest.
      void this.grpcProxy?.stop(0);
      void this.cluster.stop(0);
      return this.shuttingDown;
    }
    this.shuttingDown ??= (async () => {
      this.emit('stopping');
      try {
        await this.grpcProxy?.stop(graceMs).catch(() => undefined);
        await this.cluster.stop(graceMs);
      } finally {
        await this.network?.close();
        // End open streams (logs -f) with an answer before the socket closes: their clients see a clean end.
        this.emit('streams-end');
        await new Promise((r) => setImmediate(r));
        await this.control?.close().catch(() => undefined);
        this.control = null;
        this.saveStateStopped();
        // While the dir is still ours: another `up` may take it the moment the lock is gone.
        if (this.startFailed) this.forgetUnbornCluster();
        this.lock.release();
        this.emit('stopped');
      }
    })();
    return this.shuttingDown;
  }

  private saveStateStopped(): void {
    // A write still queued finds the control socket closed and leaves this one as it is (saveStateNow).
    try {
      this.writeStateFile(false);
    } catch {
      /* the dir may have been removed under us */
    }
  }

  private memberArg(args: Record<string, unknown>): string {
    const name = args.member;
    if (typeof name !== 'string' || name === '') {
      throw new LabError('USAGE', 'name a member', { hint: `members: ${this.opts.plan.members.map((m) => m.name).join(', ')}` });
    }
    return name;
  }

  private handlers(): Record<string, ControlHandler> {
    return {
      ping: () => ({ pid: process.pid, dir: this.dir }),
      status: async () => {
        const report = await this.cluster.status();
        return this.grpcProxy ? { ...report, grpcProxy: this.grpcProxy.status() } : report;
      },
      list: () => this.cluster.members(),
      plan: () => this.opts.plan,
      start: async (args) => {
        const name = this.memberArg(args);
        await this.cluster.startMember(name);
        return { member: name, state: 'running' };
      },
      stop: async (args) => {
        const name = this.memberArg(args);
        await this.cluster.stopMember(name, typeof args.graceMs === 'number' ? args.graceMs : undefined);
        return { member: name, state: 'stopped' };
      },
      restart: async (args) => {
        const name = this.memberArg(args);
        await this.cluster.restartMember(name);
        return { member: name, state: 'running' };
      },
      'member.list': async () => (await this.membership()).list(),
      'member.add': (args, ctx) =>
        this.oneAtATime(async () =>
          (await this.membership()).add(
            {
              ...(typeof args.name === 'string' ? { name: args.name } : {}),
              learner: args.learner === true,
            },
            (text) => ctx.send({ event: 'progress', text }),
          ),
        ),
      'member.promote': (args, ctx) =>
        this.oneAtATime(async () => (await this.membership()).promote(this.memberArg(args), (text) => ctx.send({ event: 'progress', text }))),
      'member.remove': (args, ctx) =>
        this.oneAtATime(async () => (await this.membership()).remove(this.memberArg(args), (text) => ctx.send({ event: 'progress', text }))),
      'member.replace': (args, ctx) =>
        this.oneAtATime(async () => {
          if (typeof args.to === 'string') {
            throw new LabError('USAGE', `--to moves a member to another host, and the cluster in ${this.opts.dir} runs on this machine`, {
              hint: `\`etcd-lab member replace ${String(args.member)}\` gives it a new peer URL here; --to is for namespace hosts (etcd-lab netns up --dir DIR --spares 1)`,
            });
          }
          return (await this.membership()).replace(this.memberArg(args), (text) => ctx.send({ event: 'progress', text }), { fresh: args.fresh === true });
        }),
      upgrade: (args, ctx) => this.oneAtATime(() => this.upgrade(args, (text) => ctx.send({ event: 'progress', text }))),
      logs: (args, ctx) =>
        new Promise<null>((resolve) => {
          const only = typeof args.member === 'string' ? args.member : null;
          if (only !== null) this.cluster.logFile(only); // throws UNKNOWN_MEMBER
          const onLine = (member: string, text: string): void => {
            if (only === null || member === only) ctx.send({ event: 'line', member, text });
          };
          this.cluster.on('line', onLine);
          ctx.send({ event: 'subscribed' }); // logs -f reads the files only after this (cli/log-follow.ts)
          const end = (): void => {
            this.cluster.off('line', onLine);
            this.off('streams-end', end);
            resolve(null);
          };
          this.once('streams-end', end);
          ctx.onClose(end);
        }),
      down: (args) => {
        const graceMs = typeof args.graceMs === 'number' ? args.graceMs : 3000;
        // Answer first: the socket closes during shutdown.
        setImmediate(() => this.emit('down-requested', graceMs));
        return { pid: process.pid, stopping: true };
      },
    };
  }
}
