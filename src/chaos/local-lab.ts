// Fault injection inside the supervisor process: process faults through the Cluster, network faults through the proxies.
import { readFileSync } from 'node:fs';
import { LabError } from '../errors.js';
import { quorumOf } from '../plan/count.js';
import { memberOf } from '../plan/member-of.js';
import { shellQuote } from '../plan/quote.js';
import { EtcdClient, type EtcdTlsOptions } from '../etcd/client.js';
import type { Cluster } from '../supervisor/cluster.js';
import type { Membership } from '../supervisor/membership.js';
import { clientTlsFor } from '../supervisor/pki.js';
import type { StatusReport } from '../supervisor/status.js';
import type { DelayTarget, FaultResult, Lab, Target } from './lab.js';
import * as L from './links.js';
import type { LinkStats, PeerNetwork } from './network.js';
import { resolveTarget, seededRandom, shuffle } from './targets.js';

const EXIT_WAIT_MS = 10_000;

/** SIGSTOP is delivered asynchronously: wait until the kernel reports the process stopped (Linux), bounded. */
async function waitStopped(pid: number, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'T' || state === 't') return;
    } catch {
      return; // no /proc (macOS) or gone
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

export class LocalLab implements Lab {
  private defaultRand: () => number = Math.random;
  private tls: EtcdTlsOptions | undefined | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly network: PeerNetwork | null,
    private readonly dir: string,
    /** The supervisor's membership changes (replace reuses `member replace --fresh`); absent, replace is refused. */
    private readonly membership?: () => Promise<Membership>,
  ) {}

  /** Read on every use: members join and leave at run time (etcd-lab member add/remove). */
  get memberNames(): readonly string[] {
    return this.cluster.plan.members.map((m) => m.name);
  }

  clientURL(member: string): string {
    return memberOf(this.cluster.plan, member).clientURL;
  }

  etcdClient(member: string, timeoutMs: number): EtcdClient {
    if (this.tls === null) this.tls = clientTlsFor(this.cluster.plan);
    return new EtcdClient(this.clientURL(member), { timeoutMs, tls: this.tls });
  }

  status(): Promise<StatusReport> {
    return this.cluster.status();
  }

  private rand(seed?: number): () => number {
    return seed === undefined ? this.defaultRand : seededRandom(seed);
  }

  private async targets(target: Target, seed: number | undefined, alive: (m: StatusReport['members'][number]) => boolean): Promise<string[]> {
    const report = await this.status();
    return resolveTarget(target, report, this.rand(seed), alive);
  }

  private result(action: string, members: string[], extra: Partial<FaultResult> = {}): FaultResult {
    return { action, members, at: new Date().toISOString(), ...extra };
  }

  private async waitDown(names: string[]): Promise<void> {
    const deadline = Date.now() + EXIT_WAIT_MS;
    while (Date.now() < deadline) {
      const states = this.cluster.members().filter((m) => names.includes(m.name));
      if (states.every((m) => m.state !== 'running' && m.state !== 'paused' && m.state !== 'starting')) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async kill(target: Target, opts: { signal?: 'SIGKILL' | 'SIGTERM'; seed?: number } = {}): Promise<FaultResult> {
    const signal = opts.signal ?? 'SIGKILL';
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM') {
      throw new LabError('USAGE', `--signal must be KILL or TERM, got ${String(signal)}`, { hint: 'use pause/resume for SIGSTOP/SIGCONT' });
    }
    const report = await this.status();
    const names = resolveTarget(target, report, this.rand(opts.seed), (m) => m.state === 'running' || m.state === 'paused' || m.state === 'starting');
    const wasLeader = names.filter((n) => report.members.find((m) => m.name === n)?.isLeader);
    for (const n of names) {
      if (signal === 'SIGTERM' && this.cluster.members().find((m) => m.name === n)?.state === 'paused') this.cluster.resumeMember(n);
      this.cluster.killMember(n, signal);
    }
    await this.waitDown(names);
    let note: string | undefined;
    // Voters only: learners do not vote, and a paused member cannot.
    const voters = report.members.filter((m) => !m.isLearner);
    const left = voters.filter((m) => !names.includes(m.name) && (m.state === 'running' || m.state === 'starting')).length;
    if (left < quorumOf(voters.length)) {
      const back = names.length === 1 ? `etcd-lab restart ${names[0]}` : names.length === report.members.length ? 'etcd-lab restart all' : names.map((n) => `etcd-lab restart ${n}`).join('; ');
      note = `${left} of ${voters.length} voting members left running, fewer than a majority (${quorumOf(voters.length)}): no leader can be elected until enough are back (${back})`;
    } else if (wasLeader.length > 0) {
      // docs/etcd-facts.md#sigterm-on-the-leader-is-a-leadership-transfer
      note =
        signal === 'SIGTERM'
          ? `SIGTERM on the leader (${wasLeader.join(', ')}) is a graceful leadership transfer, not an election: etcd hands leadership to a follower before it exits`
          : `SIGKILL on the leader (${wasLeader.join(', ')}) is a crash: the followers elect a new leader once their election timeout passes`;
    }
    return this.result('kill', names, { ...(note ? { note } : {}) });
  }

  async pause(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, (m) => m.state === 'running');
    for (const n of names) {
      this.cluster.pauseMember(n);
      const pid = this.cluster.members().find((m) => m.name === n)?.pid;
      if (pid) await waitStopped(pid);
    }
    return this.result('pause', names);
  }

  async resume(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, (m) => m.state === 'paused');
    for (const n of names) this.cluster.resumeMember(n);
    return this.result('resume', names);
  }

  async restart(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const names = await this.targets(target, opts.seed, () => true);
    // One at a time: restarting every member at once would itself take the cluster down.
    for (const n of names) {
      const state = this.cluster.members().find((m) => m.name === n)?.state;
      if (state === 'running' || state === 'paused' || state === 'starting') await this.cluster.restartMember(n);
      else await this.cluster.startMember(n);
    }
    return this.result('restart', names);
  }

  private net(): PeerNetwork {
    if (!this.network) {
      throw new LabError('NO_CHAOS', `the cluster in ${this.dir} was started without --chaos: no proxy sits on its peer path, so network faults cannot be injected`, {
        hint: `restart it in chaos mode (its peer URLs change, so its data starts over): etcd-lab down --dir ${shellQuote(this.dir)} && etcd-lab up --chaos --fresh -d --dir ${shellQuote(this.dir)}`,
      });
    }
    return this.network;
  }

  async partition(groups: string[][]): Promise<FaultResult> {
    const net = this.net();
    const links = net.apply(L.partition(net.links, groups));
    return this.result('partition', groups.flat(), { links, ...this.symmetricNote() });
  }

  async isolate(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    const net = this.net();
    const names = await this.targets(target, opts.seed, () => true);
    let t = net.links;
    for (const n of names) t = L.isolate(t, n);
    return this.result('isolate', names, { links: net.apply(t), ...this.symmetricNote() });
  }

  async cut(from: string, to: string): Promise<FaultResult> {
    const net = this.net();
    const links = net.apply(L.cut(net.links, from, to));
    if (!this.cluster.plan.tls) return this.result('cut', [from, to], { links });
    // A tunnel carries both directions, so the proxy can only stop it whole (flowBlocked 'tunnel').
    const note = L.link(net.links, to, from).cut
      ? `TLS peers: ${from} and ${to} are now cut both ways (one-way cuts are not possible under TLS: the proxies see only encrypted CONNECT tunnels)`
      : `TLS peers: the proxies see only encrypted CONNECT tunnels, which carry both directions, so only symmetric cuts are possible: ${from}->${to} stops nothing until ${to}->${from} is cut too (etcd-lab cut ${to}->${from}), or use partition/isolate`;
    return this.result('cut', [from, to], { links, note });
  }

  private symmetricNote(): { note?: string } {
    return this.cluster.plan.tls ? { note: 'TLS peers: the proxies see only encrypted CONNECT tunnels, so only symmetric cuts (like this one) are possible' } : {};
  }

  async delay(target: DelayTarget, delayMs: number, jitterMs: number): Promise<FaultResult> {
    const net = this.net();
    const members = 'member' in target ? [target.member] : [target.from, target.to];
    return this.result('delay', members, { links: net.apply(L.delay(net.links, target, delayMs, jitterMs)) });
  }

  async drop(target: DelayTarget, pct: number, opts: { seed?: number } = {}): Promise<FaultResult> {
    const net = this.net();
    if (opts.seed !== undefined) net.seedDrops(opts.seed);
    const members = 'member' in target ? [target.member] : [target.from, target.to];
    const links = net.apply(L.drop(net.links, target, pct));
    const note = this.cluster.plan.tls
      ? 'TLS peers: the proxies see only encrypted CONNECT tunnels, so a dropped chunk tears down the whole tunnel (both directions)'
      : undefined;
    return this.result('drop', members, { links, ...(note ? { note } : {}) });
  }

  async ring(order?: string[], opts: { seed?: number } = {}): Promise<FaultResult> {
    const net = this.net();
    const names = [...this.memberNames];
    const ringOrder = order ?? (opts.seed === undefined ? names : shuffle(names, seededRandom(opts.seed)));
    const table = L.ring(net.links, ringOrder);
    const links = net.apply(table);
    // Faults add up: a ring over earlier cuts keeps them, and then not every member sees a majority.
    const short = L.withoutMajority(table);
    const shape = `ring ${ringOrder.join(' - ')} - ${ringOrder[0]}`;
    const note =
      short.length === 0
        ? `${shape}: each member sees a majority, each a different one`
        : `${shape}, added to the cuts already in place: ${short.join(', ')} ${short.length === 1 ? 'sees' : 'see'} no majority (heal first for the ring alone)`;
    return this.result('ring', ringOrder, { links, note, ...this.symmetricNote() });
  }

  async replace(target: Target, opts: { seed?: number } = {}): Promise<FaultResult> {
    if (!this.membership) throw new LabError('INTERNAL', 'this lab cannot change membership');
    const names = await this.targets(target, opts.seed, (m) => m.state === 'running');
    if (names.length !== 1) throw new LabError('BAD_TARGET', `replace takes one member, and "${target}" is ${names.length}`);
    const change = await (await this.membership()).replace(names[0]!, () => undefined, { fresh: true });
    return this.result('replace', names, { note: change.notes.join('; ') });
  }

  async heal(): Promise<FaultResult> {
    const net = this.net();
    return this.result('heal', [...this.memberNames], { links: net.apply(L.heal(net.links)) });
  }

  async linkStats(): Promise<LinkStats[]> {
    return this.network ? this.network.linkStats() : [];
  }

  async links(): Promise<string[]> {
    return this.network ? L.describe(this.network.links) : [];
  }

  onLine(fn: (member: string, text: string) => void): () => void {
    this.cluster.on('line', fn);
    return () => this.cluster.off('line', fn);
  }
}
