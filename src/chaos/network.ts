// Chaos mode's network: one forward proxy per member, all enforcing one link table (docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side).
import { LabError } from '../errors.js';
import type { ClusterPlan, MemberPlan } from '../plan/types.js';
import * as L from './links.js';
import { startPeerProxy, type MessageCounts, type PeerProxy } from './proxy.js';
import { seededRandom } from './targets.js';

/** One directed link's rule and what its sender's proxy did on it. */
export interface LinkStats {
  from: string;
  to: string;
  /** The rule, described as in `links` (`-x->`, `-30%->`, `~200ms~>`), or `open`. */
  rule: string;
  /** Requests refused because the link was cut. */
  blocked: number;
  /** Messages relayed or dropped under a drop rate (see PeerProxyStats.messages). */
  relayed: number;
  dropped: number;
}

export class PeerNetwork {
  private table: L.LinkTable;
  private readonly proxies = new Map<string, PeerProxy>();
  /** Peer port -> member name, shared by every proxy (members join, leave and move at run time). */
  private readonly peers = new Map<number, string>();
  /** Per proxy owner, the generator of its drop decisions (seeded by `seedDrops`). */
  private readonly dropRandoms = new Map<string, () => number>();
  private dropSeed: number | null = null;

  private constructor(private readonly plan: ClusterPlan) {
    this.table = L.emptyLinks(plan.members.map((m) => m.name));
  }

  /** Starts every member's proxy on its planned port. */
  static async start(plan: ClusterPlan): Promise<PeerNetwork> {
    const net = new PeerNetwork(plan);
    for (const m of plan.members) net.peers.set(m.peerPort, m.name);
    try {
      for (const m of plan.members) await net.startProxy(m);
    } catch (e) {
      await net.close();
      throw e;
    }
    return net;
  }

  private async startProxy(m: MemberPlan): Promise<void> {
    if (m.proxyPort === null) throw new LabError('INTERNAL', `${m.name} has no proxy port in a chaos plan`);
    const proxy = await startPeerProxy({
      owner: m.name,
      host: '127.0.0.1',
      port: m.proxyPort,
      peers: this.peers,
      getLink: (from, to) => L.link(this.table, from, to),
      dropRandom: () => this.dropRandomOf(m.name)(),
    });
    this.proxies.set(m.name, proxy);
  }

  /** A member joins: its proxy starts, every proxy learns its peer port, its links start open. */
  async addMember(m: MemberPlan): Promise<void> {
    const t = this.table;
    const rules: Record<string, Record<string, L.LinkRule>> = { [m.name]: {} };
    for (const other of t.members) {
      rules[other] = { ...t.rules[other], [m.name]: L.OPEN_LINK };
      rules[m.name]![other] = L.OPEN_LINK;
    }
    this.table = { members: [...t.members, m.name], rules };
    this.peers.set(m.peerPort, m.name);
    try {
      await this.startProxy(m);
    } catch (e) {
      await this.removeMember(m.name);
      throw e;
    }
  }

  /** A member leaves: its proxy closes and its links are forgotten. */
  async removeMember(name: string): Promise<void> {
    for (const [port, owner] of this.peers) if (owner === name) this.peers.delete(port);
    const t = this.table;
    if (t.members.includes(name)) {
      const rules: Record<string, Record<string, L.LinkRule>> = {};
      for (const other of t.members) {
        if (other === name) continue;
        const { [name]: _gone, ...rest } = t.rules[other]!;
        rules[other] = rest;
      }
      this.table = { members: t.members.filter((x) => x !== name), rules };
    }
    const proxy = this.proxies.get(name);
    this.proxies.delete(name);
    await proxy?.close().catch(() => undefined);
  }

  /** A member now listens on another peer port (it keeps its name, so its link rules stay). */
  movePeer(name: string, peerPort: number): void {
    for (const [port, owner] of this.peers) if (owner === name) this.peers.delete(port);
    this.peers.set(peerPort, name);
  }

  /**
   * Makes drop decisions repeatable: each proxy draws from its own generator seeded from `seed` and its member's
   * position, so one member's traffic does not shift another's draws. Without a seed they come from Math.random.
   */
  seedDrops(seed: number | null): void {
    this.dropSeed = seed;
    this.dropRandoms.clear();
  }

  private dropRandomOf(owner: string): () => number {
    let r = this.dropRandoms.get(owner);
    if (r === undefined) {
      const i = this.table.members.indexOf(owner);
      r = this.dropSeed === null ? Math.random : seededRandom((this.dropSeed + Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      this.dropRandoms.set(owner, r);
    }
    return r;
  }

  /** Every directed link: its rule and the counters of its sender's proxy. */
  linkStats(): LinkStats[] {
    const out: LinkStats[] = [];
    const t = this.table;
    for (const from of t.members) {
      const s = this.proxies.get(from)?.stats();
      for (const to of t.members) {
        if (from === to) continue;
        const desc = L.describe({ members: [from, to], rules: { [from]: { [to]: t.rules[from]![to]! }, [to]: { [from]: L.OPEN_LINK } } })[0];
        // A stream opened by `to` through its own proxy carries from->to messages: count them where they are decided.
        const m: MessageCounts = s?.messages[`${from}->${to}`] ?? { relayed: 0, dropped: 0 };
        const back: MessageCounts = this.proxies.get(to)?.stats().messages[`${from}->${to}`] ?? { relayed: 0, dropped: 0 };
        out.push({
          from,
          to,
          rule: desc === undefined ? 'open' : desc.slice(from.length + 1, desc.length - to.length - 1),
          blocked: s?.blockedTo[to] ?? 0,
          relayed: m.relayed + back.relayed,
          dropped: m.dropped + back.dropped,
        });
      }
    }
    return out;
  }

  get links(): L.LinkTable {
    return this.table;
  }

  /** Replaces the link table and cuts what now crosses a cut. */
  apply(next: L.LinkTable): string[] {
    this.table = next;
    for (const p of this.proxies.values()) p.reconcile();
    return L.describe(this.table);
  }

  /**
   * Proves every member's peer traffic passes through its own proxy: each proxy must have carried requests to
   * every other member. A member that bypassed its proxy would make every partition a lie.
   */
  async verify(timeoutMs: number): Promise<void> {
    const names = this.plan.members.map((m) => m.name);
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    for (;;) {
      missing = [];
      for (const [owner, p] of this.proxies) {
        const seen = p.stats().requestsTo;
        for (const other of names) if (other !== owner && !(seen[other] ?? 0)) missing.push(`${owner}->${other}`);
      }
      if (missing.length === 0 || names.length === 1) return;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new LabError('NOT_READY', `chaos mode: peer traffic that did not pass through the sender's proxy: ${missing.join(', ')}`, {
      hint: 'a partition would not hold; check that nothing sets NO_PROXY for "localhost." and that the members got HTTP_PROXY',
    });
  }

  stats(): Record<string, ReturnType<PeerProxy['stats']>> {
    return Object.fromEntries([...this.proxies].map(([n, p]) => [n, p.stats()]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close().catch(() => undefined)));
    this.proxies.clear();
  }
}
