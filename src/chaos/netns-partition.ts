// The partition demo on network-namespace hosts: the partition is the kernel's (the leader's host loses its link),
// not a proxy's, so it checks the same claim as `demo partition` by an independent mechanism.
import type { NetnsCluster } from '../supervisor/netns-cluster.js';

export interface PartitionStep {
  /** ms since the partition began (0 for steps before it). */
  atMs: number;
  ok: boolean;
  text: string;
}

export interface NetnsPartitionResult {
  passed: boolean;
  isolated: string;
  oldLeader: string;
  newLeader: string | null;
  steps: PartitionStep[];
}

/** Isolates the leader's host, checks majority and minority, heals, checks the isolated member caught up. */
export async function runNetnsPartition(c: NetnsCluster, timeoutMs = 20_000): Promise<NetnsPartitionResult> {
  const all = c.plan.members.map((m) => m.name);
  const steps: PartitionStep[] = [];
  const before = await c.status(all);
  const leader = c.nameOf(before[0]!.leader, before) ?? all[0]!;
  const majority = all.filter((n) => n !== leader);
  const t0 = Date.now();
  const step = (ok: boolean, text: string) => steps.push({ atMs: Date.now() - t0, ok, text });
  steps.push({ atMs: 0, ok: true, text: `${all.length} hosts agree: leader ${leader} (term ${before[0]!.raftTerm})` });
  await c.net.disconnect(c.hostOfMember(leader));
  step(true, `${leader}'s host link is down (ip link set down on its bridge port): ${leader} | ${majority.join(', ')}`);
  let newLeader: string | null = null;
  try {
    const after = await c.waitForLeader(majority, Date.now() + timeoutMs);
    newLeader = c.nameOf(after[0]!.leader, after) ?? null;
    step(newLeader !== null && majority.includes(newLeader), `majority ${majority.join(', ')} elected ${newLeader} (term ${after[0]!.raftTerm})`);
  } catch (e) {
    step(false, `majority elected no leader: ${(e as Error).message}`);
  }
  const put = await c.put(majority[0]!, '/etcd-lab/netns-partition', 'written-by-majority');
  step(put.code === 0, put.code === 0 ? `majority accepted a write via ${majority[0]}` : `majority refused a write: ${put.stderr.trim()}`);
  const refused = await c.put(leader, '/etcd-lab/netns-partition', 'written-by-minority');
  step(refused.code !== 0, refused.code !== 0 ? `minority ${leader} refused a write (${refused.stderr.trim().split('\n').pop()})` : `minority ${leader} ACCEPTED a write`);
  await c.net.connect(c.hostOfMember(leader));
  step(true, `${leader}'s link is up again`);
  try {
    await c.waitForLeader(all, Date.now() + timeoutMs);
    const got = await c.get(leader, '/etcd-lab/netns-partition');
    const caught = got.stdout.trim() === 'written-by-majority';
    step(caught, caught ? `${leader} rejoined and reads the majority's write` : `${leader} reads "${got.stdout.trim()}"`);
  } catch (e) {
    step(false, `the cluster did not agree again: ${(e as Error).message}`);
  }
  return { passed: steps.every((s) => s.ok), isolated: leader, oldLeader: leader, newLeader, steps };
}
