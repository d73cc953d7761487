// Asks each member, through etcd's JSON gateway, whether the cluster is healthy and who leads.
import { EtcdClient } from '../../src/etcd/client.js';
import { waitFor } from './until.js';

export interface ClusterView {
  healthy: boolean[];
  leaders: (string | null)[];
  memberIds: (string | null)[];
}

export async function viewCluster(clientURLs: string[], timeoutMs = 1000): Promise<ClusterView> {
  const clients = clientURLs.map((u) => new EtcdClient(u, { timeoutMs }));
  try {
    const out = await Promise.all(
      clients.map(async (c) => {
        const [h, s] = await Promise.all([c.health().catch(() => ({ healthy: false })), c.status().catch(() => null)]);
        return { healthy: h.healthy, leader: s?.leader ?? null, id: s?.memberId ?? null };
      }),
    );
    return { healthy: out.map((o) => o.healthy), leaders: out.map((o) => o.leader), memberIds: out.map((o) => o.id) };
  } finally {
    for (const c of clients) c.close();
  }
}

/** Waits (bounded) until every member is healthy and all agree on one leader that is one of them. */
export async function waitForAgreedLeader(clientURLs: string[], timeoutMs = 20000): Promise<{ leaderId: string; view: ClusterView }> {
  const agreed = (v: ClusterView): boolean => {
    const l = v.leaders[0];
    return v.healthy.every(Boolean) && l !== undefined && l !== null && v.leaders.every((x) => x === l) && v.memberIds.includes(l);
  };
  const view = await waitFor(() => viewCluster(clientURLs), agreed, 'every member healthy and agreeing on one leader', timeoutMs);
  return { leaderId: view.leaders[0]!, view };
}
