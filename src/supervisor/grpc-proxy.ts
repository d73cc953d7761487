// `etcd grpc-proxy start` in front of the members: one supervised process, logs in logs/grpc-proxy.log.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { EtcdClient } from '../etcd/client.js';
import { planPorts } from '../plan/plan.js';
import type { ClusterPlan } from '../plan/types.js';
import { describeExit, failureLines } from './exit-report.js';
import { allocatePorts, portFree } from './ports.js';
import { memberEnv } from '../etcd/member-env.js';
import { ManagedProcess, type ExitInfo, type ProcessState } from './process.js';

export interface GrpcProxyOptions {
  etcdPath: string;
  /** Absolute state dir: its log goes to logs/grpc-proxy.log, its (empty) data dir is data/.grpc-proxy. */
  dir: string;
  host: '127.0.0.1';
  port: number;
  /** The members' client URLs. */
  endpoints: string[];
  /** etcdctl-style client TLS files, for members that require client certificates. */
  tls?: { caFile: string; certFile: string; keyFile: string } | null;
}

export interface GrpcProxyStatus {
  /** host:port, what `etcdctl --endpoints` takes. */
  endpoint: string;
  pid: number | null;
  state: ProcessState;
  /** The members it forwards to. */
  endpoints: string[];
  log: string;
}

const READY_POLL_MS = 20;
/** etcd's own default for `grpc-proxy start --listen-addr`. */
export const DEFAULT_GRPC_PROXY_PORT = 23790;

/**
 * The port of `up --grpc-proxy`: the one asked for (refused when a member uses it or something listens there), else
 * etcd's default 23790 when free, else a free one.
 */
export async function chooseGrpcProxyPort(plan: ClusterPlan, asked?: number): Promise<number> {
  if (plan.tls) {
    throw new LabError('USAGE', '--grpc-proxy does not work with --tls yet: etcd 3.4\'s grpc-proxy accepts only a client certificate with an empty Common Name, and etcd-lab\'s has one', {
      hint: 'leave out --grpc-proxy, or run the cluster without --tls',
    });
  }
  const planned = planPorts(plan);
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1 || asked > 65535) {
      throw new LabError('BAD_PORT', `--grpc-proxy-port must be a port number (1..65535), got ${asked}`);
    }
    const clash = planned.find((p) => p.port === asked);
    if (clash) throw new LabError('BAD_PORT', `--grpc-proxy-port ${asked} is ${clash.member}'s ${clash.role} port`, { hint: 'choose another port' });
    if (!(await portFree(asked))) {
      throw new LabError('PORT_IN_USE', `--grpc-proxy-port ${asked} is already in use on 127.0.0.1`, { hint: 'choose another port, or leave the flag out for a free one' });
    }
    return asked;
  }
  if (!planned.some((p) => p.port === DEFAULT_GRPC_PROXY_PORT) && (await portFree(DEFAULT_GRPC_PROXY_PORT))) return DEFAULT_GRPC_PROXY_PORT;
  const [free] = await allocatePorts(1, false, '127.0.0.1', planned.map((p) => p.port));
  return free!.client;
}
const RESTART_DELAY_MS = 500;

/** Events: `'exit'(ExitInfo & { lastLines })` when it ends on its own (it is restarted after a short delay). */
export class GrpcProxy extends EventEmitter {
  readonly logFile: string;
  private proc: ManagedProcess;
  private endpoints: string[];
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: GrpcProxyOptions) {
    super();
    this.logFile = join(opts.dir, 'logs', 'grpc-proxy.log');
    this.endpoints = [...opts.endpoints];
    this.proc = this.makeProcess();
  }

  get endpoint(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  private makeProcess(): ManagedProcess {
    const tls = this.opts.tls;
    const proc = new ManagedProcess({
      name: 'grpc-proxy',
      command: {
        argv: [
          this.opts.etcdPath, 'grpc-proxy', 'start',
          `--endpoints=${this.endpoints.join(',')}`,
          `--listen-addr=${this.endpoint}`,
          // 3.5+ dials its own advertised address at start; the default is etcd's 127.0.0.1:23790, whatever it listens on.
          `--advertise-client-url=${this.endpoint}`,
          // Inside data/, so a proxy left by a supervisor that was SIGKILLed is found and reaped like a member.
          '--data-dir', join(this.opts.dir, 'data', '.grpc-proxy'),
          ...(tls ? ['--cacert', tls.caFile, '--cert', tls.certFile, '--key', tls.keyFile] : []),
        ],
      },
      cwd: this.opts.dir,
      env: memberEnv(process.env, {}),
      logFile: this.logFile,
      outputToLog: true,
    });
    proc.on('exit', (info: ExitInfo) => {
      if (info.expected || this.stopped) return;
      this.emit('exit', { ...info, lastLines: failureLines(proc.runLines(), 5) });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped && !proc.alive) proc.start();
      }, RESTART_DELAY_MS);
    });
    return proc;
  }

  /** Starts it and waits (bounded) until it answers `GET /health`; throws NOT_READY with its last lines. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.stopped = false;
    this.proc.start();
    const client = new EtcdClient(`http://${this.endpoint}`, { timeoutMs: 300 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (!this.proc.alive) {
          throw new LabError('NOT_READY', `the gRPC proxy on ${this.endpoint} exited (${describeExit(this.proc.lastExit)}) before it answered`, {
            details: failureLines(this.proc.runLines()),
            hint: `its log is ${this.logFile}; another --grpc-proxy-port may help`,
          });
        }
        const ok = await client.health().then((h) => h.healthy, () => false);
        if (ok) {
          this.proc.markRunning();
          return;
        }
        if (Date.now() > deadline) {
          throw new LabError('NOT_READY', `the gRPC proxy on ${this.endpoint} did not answer GET /health within ${timeoutMs} ms`, {
            details: failureLines(this.proc.runLines()),
            hint: `its log is ${this.logFile}`,
          });
        }
        await delay(READY_POLL_MS);
      }
    } catch (e) {
      await this.stop(0);
      throw e;
    } finally {
      client.close();
    }
  }

  /** Points it at other members (after a membership change): a restart, as its endpoint list is fixed at start. */
  async setEndpoints(endpoints: string[]): Promise<void> {
    if (endpoints.join(',') === this.endpoints.join(',')) return;
    this.endpoints = [...endpoints];
    if (this.stopped) return;
    await this.stop();
    this.proc.removeAllListeners();
    this.proc = this.makeProcess();
    await this.start();
  }

  async stop(graceMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.proc.stop(graceMs);
  }

  status(): GrpcProxyStatus {
    return { endpoint: this.endpoint, pid: this.proc.pid, state: this.proc.state, endpoints: [...this.endpoints], log: this.logFile };
  }
}
