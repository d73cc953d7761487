// The library entry point: a real cluster for a test suite, with the same objects the CLI uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DelayTarget, FaultResult, Target } from './chaos/lab.js';
import { LabError } from './errors.js';
import { parsePortsOption } from './plan/ports.js';
import { resolveSettings, type RestartPolicy, type Settings } from './plan/settings.js';
import type { ClusterPlan, Profile } from './plan/types.js';
import type { StatusReport } from './supervisor/status.js';
import { epochNow, type ReadyFigure } from './supervisor/ready-figure.js';
import type { RegisterOperation } from './check/history.js';
import type { EtcdClient } from './etcd/client.js';
import { HistoryRecorder } from './chaos/history-recorder.js';
import { CLUSTER, RegisterClient } from './chaos/register-client.js';
import type { LaunchedLab } from './launch-lab.js';

export interface StartClusterOptions {
  /** Members (odd; default 3). */
  nodes?: number;
  /** fast (10/100 ms, default) or default (100/1000 ms). */
  profile?: Profile;
  /** Per-member proxies so partition/isolate/cut/delay work (default true). */
  chaos?: boolean;
  /** HTTPS with client certificates (a CA and certificates are made in `<dir>/pki`); with chaos, cuts are symmetric only. */
  tls?: boolean;
  /** State folder; default a new temp folder, deleted by stop(). */
  dir?: string;
  /** `auto` (default), `etcd`, or a base port. */
  ports?: 'auto' | 'etcd' | number;
  /** etcd binary (default: ETCD_BIN, PATH, cache, download). */
  etcd?: string;
  namePrefix?: string;
  extraArgs?: string[];
  restart?: RestartPolicy;
  readyTimeoutMs?: number;
  /** Keep the state folder after stop() (default: delete it when etcd-lab created it). */
  keepDir?: boolean;
}

export interface MemberInfo {
  name: string;
  clientURL: string;
  peerURL: string;
}

export interface LabCluster extends AsyncDisposable {
  /** Client URLs, in member order. */
  readonly endpoints: string[];
  readonly members: MemberInfo[];
  readonly dir: string;
  readonly plan: ClusterPlan;
  /** For a TLS cluster: the CA and the client certificate a client needs (absolute paths); null without TLS. */
  readonly tls: { caFile: string; certFile: string; keyFile: string } | null;
  /** How long startCluster() took until the cluster was ready (elapsedMs, from the call), the supervisor's share, the leader then. */
  readonly ready: ReadyFigure;
  status(): Promise<StatusReport>;
  /** The current leader's name, or null while there is none. */
  leader(): Promise<string | null>;
  /** Waits (bounded) until the members agree on a leader; resolves with its name. */
  waitForLeader(opts?: { timeoutMs?: number; not?: string }): Promise<string>;
  /**
   * Waits (bounded, default 10 s) until every member is healthy and all agree on one leader; resolves with its name.
   * After heal() or resume(), a member that was cut off serves again only then: requests sent to it before may time out.
   */
  waitHealthy(opts?: { timeoutMs?: number }): Promise<string>;
  kill(target: Target, opts?: { signal?: 'SIGKILL' | 'SIGTERM' }): Promise<FaultResult>;
  pause(target: Target): Promise<FaultResult>;
  resume(target: Target): Promise<FaultResult>;
  restart(target: Target): Promise<FaultResult>;
  partition(...groups: string[][]): Promise<FaultResult>;
  isolate(target: Target): Promise<FaultResult>;
  cut(from: string, to: string): Promise<FaultResult>;
  delay(target: DelayTarget, delayMs: number, jitterMs?: number): Promise<FaultResult>;
  heal(): Promise<FaultResult>;
  /**
   * A register client (get, put, cas through a txn) whose every operation is recorded in `history()`: on one
   * member, or, without `member`, on every member in turn, moving on when one refuses the connection.
   * Each call makes a new sequential client ("c1", "c2", ... unless named); use one per concurrent task.
   */
  registerClient(opts?: { member?: string; name?: string; timeoutMs?: number }): RegisterClient;
  /** Every operation made through registerClient() so far, as the linearizability checker reads them. */
  history(): RegisterOperation[];
  /** Stops every member and the proxies; idempotent. */
  stop(): Promise<void>;
}

const live = new Set<LaunchedLab>();
let exitHookInstalled = false;

function installExitHook(killAll: () => void): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test process that ends without stop() still leaves no etcd behind.
  process.on('exit', () => {
    if (live.size > 0) killAll();
  });
}

export async function startCluster(opts: StartClusterOptions = {}): Promise<LabCluster> {
  const calledAt = epochNow();
  const { launchLab } = await import('./launch-lab.js');
  const { killAllGroupsSync } = await import('./supervisor/process.js');
  installExitHook(killAllGroupsSync);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? join(mkdtempSync(join(tmpdir(), 'etcd-lab-')), 'state');
  const flags: Partial<Settings> = {
    nodes: opts.nodes ?? 3,
    profile: opts.profile ?? 'fast',
    chaos: opts.chaos ?? true,
    ...(opts.tls ? { tls: true } : {}),
    dir,
    ports: parsePortsOption(String(opts.ports ?? 'auto')),
    ...(opts.etcd !== undefined ? { etcd: opts.etcd } : {}),
    ...(opts.namePrefix !== undefined ? { namePrefix: opts.namePrefix } : {}),
    ...(opts.extraArgs !== undefined ? { extraArgs: opts.extraArgs } : {}),
    ...(opts.restart !== undefined ? { restart: opts.restart } : {}),
  };
  const settings = resolveSettings(flags);
  const cleanup = (): void => {
    if (ownDir && !opts.keepDir) rmSync(join(dir, '..'), { recursive: true, force: true });
  };
  const launched = await launchLab({
    settings,
    given: new Set(Object.keys(flags) as (keyof Settings)[]),
    restart: settings.restart,
    readyTimeoutMs: opts.readyTimeoutMs ?? 20_000,
    onClose: cleanup,
    countFrom: calledAt,
  });
  live.add(launched);
  const sup = launched.sup;
  const plan = sup.cluster.plan;
  const { clientTlsFiles } = await import('./supervisor/pki.js');
  const lab = (): LaunchedLab['chaos']['lab'] => launched.chaos.lab;
  let stopped: Promise<void> | null = null;
  const recorder = new HistoryRecorder();
  const kvClients: EtcdClient[] = [];
  let registerClients = 0;
  const newClient = (member: string, timeoutMs: number): EtcdClient => {
    const c = lab().etcdClient(member, timeoutMs);
    kvClients.push(c);
    return c;
  };
  const handle: LabCluster = {
    endpoints: plan.members.map((m) => m.clientURL),
    members: plan.members.map((m) => ({ name: m.name, clientURL: m.clientURL, peerURL: m.peerURL })),
    dir: sup.dir,
    plan,
    tls: clientTlsFiles(plan),
    ready: launched.ready,
    status: () => sup.cluster.status(),
    leader: async () => (await sup.cluster.status()).leader,
    waitForLeader: async ({ timeoutMs = 10_000, not } = {}) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const l = (await sup.cluster.status()).leader;
        if (l && l !== not) return l;
        if (Date.now() > deadline) {
          throw new LabError('NOT_READY', `no leader${not ? ` other than ${not}` : ''} within ${timeoutMs} ms`, {
            hint: 'see cluster.status() for what each member reports',
          });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    waitHealthy: ({ timeoutMs = 10_000 } = {}) => sup.cluster.waitHealthy(timeoutMs),
    kill: (t, o) => lab().kill(t, o),
    pause: (t) => lab().pause(t),
    resume: (t) => lab().resume(t),
    restart: (t) => lab().restart(t),
    partition: (...groups) => lab().partition(groups),
    isolate: (t) => lab().isolate(t),
    cut: (a, b) => lab().cut(a, b),
    delay: (t, d, j = 0) => lab().delay(t, d, j),
    heal: () => lab().heal(),
    registerClient: ({ member, name, timeoutMs = 1000 } = {}) => {
      if (member !== undefined && !plan.members.some((m) => m.name === member)) {
        throw new LabError('UNKNOWN_MEMBER', `there is no member "${member}"`, { hint: `members: ${plan.members.map((m) => m.name).join(', ')}` });
      }
      const clients = member !== undefined ? [newClient(member, timeoutMs)] : plan.members.map((m) => newClient(m.name, timeoutMs));
      return new RegisterClient(name ?? `c${++registerClients}`, member ?? CLUSTER, clients, recorder);
    },
    history: () => recorder.history(),
    stop: () => {
      for (const c of kvClients) c.close();
      stopped ??= launched.close().finally(() => live.delete(launched));
      return stopped;
    },
    [Symbol.asyncDispose]: () => handle.stop(),
  };
  return handle;
}
