// On a real cluster: serializable reads through a member cut off from the majority, recorded as if they were
// linearizable reads, while the majority keeps writing. The linearizability checker must say not-linearizable;
// the same reads made linearizable through a majority member must pass.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type LabCluster } from '../../src/index.js';
import { EtcdClient } from '../../src/etcd/client.js';
import { HistoryRecorder } from '../../src/chaos/history-recorder.js';
import { checkRegisterHistory } from '../../src/check/linearizability.js';
import { claimPorts } from '../helpers/ports.js';
import { waitNoProcesses } from '../helpers/procs.js';

let c: LabCluster;
const clients = new Map<string, EtcdClient>();
const client = (m: string): EtcdClient => clients.get(m)!;

before(async () => {
  // The default profile (100 ms heartbeat, 1 s election timeout): no election when a follower is cut off, even on a loaded machine.
  c = await startCluster({ nodes: 3, ports: await claimPorts(), profile: 'default' });
  for (const m of c.members) clients.set(m.name, new EtcdClient(m.clientURL, { timeoutMs: 3000 }));
});

after(async () => {
  for (const x of clients.values()) x.close();
  const dir = c?.dir;
  await c?.stop();
  if (dir) assert.deepEqual(await waitNoProcesses(dir, 5000), []);
});

test('stale serializable reads from an isolated member are caught as not linearizable; linearizable reads from the majority are not', { timeout: 60_000 }, async () => {
  const leader = await c.waitForLeader();
  const cutOff = c.members.map((m) => m.name).find((m) => m !== leader)!;
  const majority = c.members.map((m) => m.name).find((m) => m !== leader && m !== cutOff)!;
  const stale = new HistoryRecorder();
  const fresh = new HistoryRecorder();
  const put = (rec: HistoryRecorder, key: string, value: string) =>
    rec.record('writer', leader, { f: 'put', key, value }, async () => ({ output: { f: 'put' }, revision: (await client(leader).put(key, value)).revision }));
  const read = (rec: HistoryRecorder, member: string, key: string, serializable: boolean) =>
    rec.record('reader', member, { f: 'get', key }, async () => {
      const r = await client(member).get(key, { serializable });
      return { output: { f: 'get', value: r.value }, revision: r.revision };
    });

  for (const rec of [stale, fresh]) assert.equal((await put(rec, 'k', 'v0')).outcome, 'ok');
  // The member to cut off has applied v0 before it is cut off.
  const deadline = Date.now() + 5000;
  while ((await client(cutOff).get('k', { serializable: true })).value !== 'v0') {
    assert.ok(Date.now() < deadline, `${cutOff} never saw v0`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await c.isolate(cutOff);
  try {
    for (let i = 1; i <= 5; i++) {
      for (const rec of [stale, fresh]) {
        const op = await put(rec, 'k', `v${i}`);
        assert.equal(op.outcome, 'ok', `the majority (${leader}, ${majority}) writes v${i}: ${JSON.stringify(op)}`);
      }
      const s = await read(stale, cutOff, 'k', true);
      assert.equal(s.outcome, 'ok', 'a serializable read answers without a leader');
      assert.deepEqual(s.output, { f: 'get', value: 'v0' }, `${cutOff} is cut off: it still has v0`);
      const f = await read(fresh, majority, 'k', false);
      assert.deepEqual(f.output, { f: 'get', value: `v${i}` });
    }
    // A linearizable read on the cut-off member cannot answer: recorded as failed (a read has no effect).
    const blocked = await read(stale, cutOff, 'k', false);
    assert.equal(blocked.outcome, 'fail', JSON.stringify(blocked));
  } finally {
    await c.heal();
  }

  const bad = checkRegisterHistory(stale.history(), { budgetMs: 10_000 });
  assert.equal(bad.verdict, 'not-linearizable', JSON.stringify(bad));
  assert.equal(bad.violation?.key, 'k');
  assert.ok(bad.violation!.operations.some((o) => o.member === cutOff && o.input.f === 'get'), 'the violation shows a read from the cut-off member');
  const good = checkRegisterHistory(fresh.history(), { budgetMs: 10_000 });
  assert.equal(good.verdict, 'linearizable', JSON.stringify(good));
});
