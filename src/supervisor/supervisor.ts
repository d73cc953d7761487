// The long-running owner of one state dir: the cluster, its lock, state.json and the control socket.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { LabError } from '../errors.js';
import type { RestartPolicy } from '../plan/settings.js';
import type { ClusterPlan } from '../plan/types.js';
import { Cluster, type StartProgress } from './cluster.js';
import { startControlServer, type ControlHandler, type ControlServer } from './control.js';
import { reapStale, type ReapedMember } from './reap.js';
import { acquireLock, statePaths, writeJsonAtomic, writeState, type DirLock } from './state-dir.js';
import { LocalLab, labHandlers } from '../chaos/local-lab.js';
import { PeerNetwork } from '../chaos/network.js';

export interface SupervisorOptions {
  /** Absolute state dir; the plan's paths are absolute inside it. */
  dir: string;
  plan: ClusterPlan;
  etcdPath: string;
  etcdVersion: string;
  restart: RestartPolicy;
  parallel?: boolean;
  readyTimeoutMs?: number;
}

/** Extra control operations (chaos) registered by other layers. */
export type ExtraHandlers = Record<string, ControlHandler>;

export class Supervisor extends EventEmitter {
  readonly cluster: Cluster;
  readonly dir: string;
  readonly reaped: ReapedMember[];
  private readonly opts: SupervisorOptions;
  private readonly lock: DirLock;
  private control: ControlServer | null = null;
  private readonly startedAt = new Date().toISOString();
  private shuttingDown: Promise<void> | null = null;
  private readonly extra: ExtraHandlers = {};
  /** Chaos mode's proxies (null without --chaos). */
  network: PeerNetwork | null = null;
  /** Fault injection; network faults need chaos mode. */
  lab: LocalLab;

  private constructor(opts: SupervisorOptions, lock: DirLock, reaped: ReapedMember[]) {
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
    });
    this.cluster.on('member-state', () => this.saveState());
    this.lab = new LocalLab(this.cluster, null, opts.dir);
  }

  /** Takes the dir (DIR_IN_USE if a live supervisor holds it), reaps members a dead supervisor left, saves the plan. */
  static async open(opts: SupervisorOptions): Promise<Supervisor> {
    const lock = acquireLock(opts.dir);
    try {
      const reaped = await reapStale(opts.dir);
      const paths = statePaths(opts.dir);
      mkdirSync(paths.logs, { recursive: true });
      mkdirSync(paths.data, { recursive: true, mode: 0o700 });
      writeJsonAtomic(paths.plan, opts.plan);
      return new Supervisor(opts, lock, reaped);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Adds control operations (used by chaos mode). */
  addHandlers(handlers: ExtraHandlers): void {
    Object.assign(this.extra, handlers);
  }

  /** Starts members and the control socket; resolves once the cluster is ready. On failure everything is stopped. */
  async start(onProgress?: (e: StartProgress) => void): Promise<{ leader: string; elapsedMs: number }> {
    try {
      if (this.opts.plan.chaos) {
        this.network = await PeerNetwork.start(this.opts.plan);
        this.lab = new LocalLab(this.cluster, this.network, this.dir);
      }
      this.control = await startControlServer(statePaths(this.dir).sock, { ...this.handlers(), ...labHandlers(this.lab), ...this.extra });
      const ready = await this.cluster.start(onProgress);
      // Before reporting ready in chaos mode, prove each member's peer traffic passes through its own proxy.
      await this.network?.verify(5000);
      this.saveState();
      return ready;
    } catch (e) {
      await this.shutdown();
      throw e;
    }
  }

  saveState(): void {
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
      })),
    });
  }

  /** Stops every member (followers first, leader last), closes the socket, releases the dir. Idempotent. */
  shutdown(graceMs = 3000): Promise<void> {
    if (graceMs === 0 && this.shuttingDown) {
      // A second Ctrl-C: kill what is left now; the first shutdown finishes the rest.
      void this.cluster.stop(0);
      return this.shuttingDown;
    }
    this.shuttingDown ??= (async () => {
      this.emit('stopping');
      try {
        await this.cluster.stop(graceMs);
      } finally {
        await this.network?.close();
        // End open streams (logs -f) with an answer before the socket closes: their clients see a clean end.
        this.emit('streams-end');
        await new Promise((r) => setImmediate(r));
        await this.control?.close().catch(() => undefined);
        this.control = null;
        this.saveStateStopped();
        this.lock.release();
        this.emit('stopped');
      }
    })();
    return this.shuttingDown;
  }

  private saveStateStopped(): void {
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
      status: () => this.cluster.status(),
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
      logs: (args, ctx) =>
        new Promise<null>((resolve) => {
          const only = typeof args.member === 'string' ? args.member : null;
          if (only !== null) this.cluster.logFile(only); // throws UNKNOWN_MEMBER
          const onLine = (member: string, text: string): void => {
            if (only === null || member === only) ctx.send({ event: 'line', member, text });
          };
          this.cluster.on('line', onLine);
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
