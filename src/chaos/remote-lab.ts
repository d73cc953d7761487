// Fault injection from another process, through the supervisor's control socket.
import { EtcdClient, type EtcdTlsOptions } from '../etcd/client.js';
import type { ClusterPlan } from '../plan/types.js';
import { clientTlsFor } from '../supervisor/pki.js';
import type { ControlClient } from '../supervisor/control-client.js';
import type { StatusReport } from '../supervisor/status.js';
import type { DelayTarget, FaultResult, Lab, Target } from './lab.js';
import type { LinkStats } from './network.js';

const FAULT_TIMEOUT_MS = 30_000;
/** A replace waits out etcd's reconfiguration checks twice (remove, add) and the new member's catch-up. */
const REPLACE_TIMEOUT_MS = 90_000;

export class RemoteLab implements Lab {
  readonly memberNames: readonly string[];
  private tls: EtcdTlsOptions | undefined | null = null;

  constructor(
    private readonly client: ControlClient,
    private readonly plan: ClusterPlan,
  ) {
    this.memberNames = plan.members.map((m) => m.name);
  }

  /** Connects to the supervisor of `dir` (NOT_RUNNING when there is none). */
  static async connect(dir: string): Promise<RemoteLab> {
    const { connectControl } = await import('../supervisor/control-client.js');
    const client = await connectControl(dir);
    const plan = (await client.request('plan', {}, 5000)) as ClusterPlan;
    return new RemoteLab(client, plan);
  }

  clientURL(member: string): string {
    return this.plan.members.find((m) => m.name === member)?.clientURL ?? '';
  }

  etcdClient(member: string, timeoutMs: number): EtcdClient {
    if (this.tls === null) this.tls = clientTlsFor(this.plan);
    return new EtcdClient(this.clientURL(member), { timeoutMs, tls: this.tls });
  }

  status(): Promise<StatusReport> {
    return this.client.request('status', {}, 5000) as Promise<StatusReport>;
  }

  private fault(op: string, args: Record<string, unknown>, timeoutMs = FAULT_TIMEOUT_MS): Promise<FaultResult> {
    return this.client.request(`chaos.${op}`, args, timeoutMs) as Promise<FaultResult>;
  }

  kill(target: Target, opts: { signal?: 'SIGKILL' | 'SIGTERM'; seed?: number } = {}): Promise<FaultResult> {
    return this.fault('kill', { target, ...opts });
  }
  pause(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('pause', { target, ...opts });
  }
  resume(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('resume', { target, ...opts });
  }
  restart(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('restart', { target, ...opts });
  }
  partition(groups: string[][]): Promise<FaultResult> {
    return this.fault('partition', { groups });
  }
  isolate(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('isolate', { target, ...opts });
  }
  cut(from: string, to: string): Promise<FaultResult> {
    return this.fault('cut', { from, to });
  }
  delay(target: DelayTarget, delayMs: number, jitterMs: number): Promise<FaultResult> {
    return this.fault('delay', { target, delayMs, jitterMs });
  }
  drop(target: DelayTarget, pct: number, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('drop', { target, pct, ...opts });
  }
  ring(order?: string[], opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('ring', { ...(order ? { order } : {}), ...opts });
  }
  replace(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    return this.fault('replace', { target, ...opts }, REPLACE_TIMEOUT_MS);
  }
  heal(): Promise<FaultResult> {
    return this.fault('heal', {});
  }
  linkStats(): Promise<LinkStats[]> {
    return this.client.request('chaos.link-stats', {}, 5000) as Promise<LinkStats[]>;
  }
  links(): Promise<string[]> {
    return this.client.request('chaos.links', {}, 5000) as Promise<string[]>;
  }

  onLine(fn: (member: string, text: string) => void): () => void {
    const s = this.client.stream('logs', {}, (ev) => {
      if (ev.event === 'line') fn(String(ev.member), String(ev.text));
    });
    return () => s.close();
  }

  close(): void {
    this.client.close();
  }
}
