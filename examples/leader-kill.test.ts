// An example of etcd-lab inside a project's own tests: a real 3-member cluster, a real client (the etcd3 package),
// and a leader crash in the middle. Run it with: node --import tsx --test examples/leader-kill.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startCluster } from 'etcd-lab';

test('a write survives a leader crash', { timeout: 60_000 }, async () => {
  const cluster = await startCluster({ nodes: 3 });
  const client = new Etcd3({ hosts: cluster.endpoints, dialTimeout: 2000 });
  try {
    await client.put('orders/1').value('paid');
    const old = await cluster.waitForLeader();

    const term = (s: Awaited<ReturnType<typeof cluster.status>>, name: string): bigint => BigInt(s.members.find((m) => m.name === name)?.raftTerm ?? '0');
    const oldTerm = term(await cluster.status(), old);

    const killed = await cluster.kill('leader');
    assert.deepEqual(killed.members, [old]);
    const next = await cluster.waitForLeader({ not: old });

    // The acknowledged write is still there, and the cluster still takes writes.
    assert.equal(await client.get('orders/1').string(), 'paid');
    await client.put('orders/2').value('paid');

    // The killed leader is down, and the new one won an election: a later term. etcd's status gives the term of the
    // last entry a member applied, so it shows the new term once the new leader has applied an entry of it (the write
    // above), not as soon as it leads.
    const after = await cluster.status();
    assert.notEqual(after.members.find((m) => m.name === old)?.state, 'running');
    assert.ok(term(after, next) > oldTerm, `${next} leads in term ${term(after, next)}, not after ${oldTerm}`);

    await cluster.restart(old);
    const status = await cluster.status();
    assert.ok(status.members.every((m) => m.state === 'running'));
  } finally {
    client.close();
    await cluster.stop();
  }
});
