// Chaos mode's network: one forward proxy per member, all enforcing one link table (DESIGN fact 6).
import { LabError } from '../errors.js';
import type { ClusterPlan } from '../plan/types.js';
import * as L from './links.js';
import { startPeerProxy, type PeerProxy } from './proxy.js';

export class PeerNetwork {
  private table: L.LinkTable;
  private readonly proxies = new Map<string, PeerProxy>();

  private constructor(private readonly plan: ClusterPlan) {
    this.table = L.emptyLinks(plan.members.map((m) => m.name));
  }

  /** Starts every member's proxy on its planned port. */
  static async start(plan: ClusterPlan): Promise<PeerNetwork> {
    const net = new PeerNetwork(plan);
    const peers = new Map(plan.members.map((m) => [m.peerPort, m.name]));
    try {
      for (const m of plan.members) {
        if (m.proxyPort === null) throw new LabError('INTERNAL', `${m.name} has no proxy port in a chaos plan`);
        const proxy = await startPeerProxy({
          owner: m.name,
          host: '127.0.0.1',
          port: m.proxyPort,
          peers,
          getLink: (from, to) => L.link(net.table, from, to),
        });
        net.proxies.set(m.name, proxy);
      }
    } catch (e) {
      await net.close();
      throw e;
    }
    return net;
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
