// The Lab of a cluster on network-namespace hosts: the same scenarios and demos as on one machine, with the network
// faults done by the kernel instead of the per-member proxies (a partition moves hosts to bridges of their own, or
// puts drop rules in their namespaces). Clients reach each member through a relay on its own host (NetnsCluster
// startRelays), as a client beside that member would.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { EtcdClient, type EtcdStatus, type EtcdTlsOptions } from '../etcd/client.js';
import { statusOrNull } from '../etcd/status-or-null.js';
import { memberOf } from '../plan/member-of.js';
import type { NetnsCluster } from '../supervisor/netns-cluster.js';
import type { PartitionMode } from '../supervisor/netns.js';
import { pickLeader } from '../supervisor/leader-claim.js';
import type { StatusReport } from '../supervisor/status.js';
import type { DelayTarget, FaultResult, Lab, Target } from './lab.js';
import type { LinkStats } from './network.js';
import { resolveTarget, seededRandom } from './targets.js';

const STATUS_TIMEOUT_MS = 1000;
const LOG_POLL_MS = 100;

export class NetnsLab implements Lab {
  private readonly tls: EtcdTlsOptions | undefined;
  /** The current partition, described (empty: healed). */
  private groups: string[][] = [];

  constructor(
    private readonly cluster: NetnsCluster,
    readonly mode: PartitionMode,
    tls?: EtcdTlsOptions,
  ) {
    this.tls = tls;
  }

  get memberNames(): readonly string[] {
    return this.cluster.plan.members.map((m) => m.name);
  }

  clientURL(member: string): string {
    return memberOf(this.cluster.plan, member).clientURL;
  }

  etcdClient(member: string, timeoutMs: number): EtcdClient {
    return new EtcdClient(this.clientURL(member), { timeoutMs, ...(this.tls ? { tls: this.tls } : {}), socketPath: this.cluster.relaySocket(member) });
  }

  async status(): Promise<StatusReport> {
    const names = this.memberNames;
    const answers: (EtcdStatus | null)[] = await Promise.all(
      names.map(async (n) => {
        if (this.cluster.memberState(n) !== 'running') return null;
        return statusOrNull(this.etcdClient(n, STATUS_TIMEOUT_MS));
      }),
    );
    const claim = pickLeader(answers);
    const members = this.cluster.plan.members.map((m, i) => {
      const s = answers[i] ?? null;
      return {
        name: m.name,
        state: this.cluster.memberState(m.name),
        pid: this.cluster.memberPid(m.name),
        id: s?.memberId ?? null,
        clientURL: m.clientURL,
        peerURL: m.peerURL,
        isLearner: s?.isLearner === true,
        isLeader: s !== null && claim !== null && s.memberId === claim.id,
        raftTerm: s?.raftTerm ?? null,
        raftIndex: s?.raftIndex ?? null,
        revision: s?.revision ?? null,
        dbSize: s?.dbSize ?? null,
        version: s?.version || null,
      };
    });
    const leader = members.find((m) => m.isLeader)?.name ?? null;
    return { dir: this.cluster.net.dir, leader, leaderTerm: claim === null ? null : String(claim.term), clusterVersion: null, members };
  }

  private async targets(target: Target, seed: number | undefined, alive: (m: StatusReport['members'][number]) => boolean): Promise<string[]> {
    return resolveTarget(target, await this.status(), seed === undefined ? Math.random : seededRandom(seed), alive);
  }

  private result(action: string, members: string[], extra: Partial<FaultResult> = {}): FaultResult {
    return { action, members, at: new Date().toISOString(), ...extra };
  }

  async kill(target: Target, opts: { signal?: 'SIGKILL' | 'SIGTERM'; seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, (m) => m.state !== 'exited');
    for (const n of names) await this.cluster.signalMember(n, opts.signal ?? 'SIGKILL');
    return this.result('kill', names);
  }

  async pause(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, (m) => m.state === 'running');
    for (const n of names) await this.cluster.signalMember(n, 'SIGSTOP');
    return this.result('pause', names);
  }

  async resume(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, (m) => m.state === 'paused');
    for (const n of names) await this.cluster.signalMember(n, 'SIGCONT');
    return this.result('resume', names);
  }

  async restart(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, () => true);
    for (const n of names) {
      await this.cluster.signalMember(n, 'SIGTERM');
      this.cluster.startMember(n);
    }
    return this.result('restart', names);
  }

  private describe(): string[] {
    return this.groups.length === 0 ? [] : [`${this.groups.map((g) => g.join(',')).join(' | ')} (${this.mode === 'link' ? 'a bridge per group' : 'iptables DROP rules in each host'})`];
  }

  async partition(groups: string[][]): Promise<FaultResult> {
    for (const n of groups.flat()) this.clientURL(n);
    await this.cluster.net.partition(groups.map((g) => g.map((n) => this.cluster.hostOfMember(n))), this.mode);
    this.groups = groups.map((g) => [...g]);
    return this.result('partition', groups.flat(), { links: this.describe(), note: `kernel-level partition (${this.mode})` });
  }

  async isolate(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, () => true);
    const rest = this.memberNames.filter((n) => !names.includes(n));
    const r = await this.partition([rest, ...names.map((n) => [n])]);
    return { ...r, action: 'isolate', members: names };
  }

  private unsupported(what: string): never {
    throw new LabError('NETNS', `${what} is not available on namespace hosts: they have whole partitions (link or drop) only`, {
      hint: 'use partition/isolate here, or run the scenario on one machine (etcd-lab demo without --netns) where the proxies cut, delay and drop single links',
    });
  }

  cut(): Promise<FaultResult> {
    return this.unsupported('a one-way cut');
  }

  delay(_t: DelayTarget): Promise<FaultResult> {
    return this.unsupported('delay');
  }

  drop(_t: DelayTarget): Promise<FaultResult> {
    return this.unsupported('a drop percentage');
  }

  ring(): Promise<FaultResult> {
    return this.unsupported('the majorities ring');
  }

  replace(): Promise<FaultResult> {
    return this.unsupported('replace (a fresh member)');
  }

  async heal(): Promise<FaultResult> {
    await this.cluster.net.heal();
    this.groups = [];
    return this.result('heal', [...this.memberNames], { links: [] });
  }

  async linkStats(): Promise<LinkStats[]> {
    return [];
  }

  async links(): Promise<string[]> {
    return this.describe();
  }

  /** Follows the members' log files (etcd writes them from inside the hosts) and hands on each new line. */
  onLine(fn: (member: string, text: string) => void): () => void {
    const offsets = new Map<string, number>();
    const partial = new Map<string, string>();
    const file = (m: string) => join(this.cluster.net.dir, `${m}.log`);
    for (const m of this.memberNames) {
      try {
        offsets.set(m, statSync(file(m)).size);
      } catch {
        offsets.set(m, 0);
      }
    }
    const poll = (): void => {
      for (const m of this.memberNames) {
        let fd: number;
        try {
          fd = openSync(file(m), 'r');
        } catch {
          continue;
        }
        try {
          const buf = Buffer.alloc(1 << 16);
          let off = offsets.get(m) ?? 0;
          for (;;) {
            const n = readSync(fd, buf, 0, buf.length, off);
            if (n <= 0) break;
            off += n;
            const text = (partial.get(m) ?? '') + buf.subarray(0, n).toString('utf8');
            const lines = text.split('\n');
            partial.set(m, lines.pop()!);
            for (const l of lines) if (l.trim() !== '') fn(m, l);
          }
          offsets.set(m, off);
        } finally {
          closeSync(fd);
        }
      }
    };
    const timer = setInterval(poll, LOG_POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
