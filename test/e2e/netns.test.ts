// The multi-host plan on real addresses: one network namespace per member on a private bridge (10.77.0.0/24, kept
// inside a namespace of its own), each member running its plan command in its namespace, in every bootstrap mode;
// and a kernel-level partition (a host's link down). Every test leaves no namespace and no process behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LabError } from '../../src/errors.js';
import { NetnsCluster } from '../../src/supervisor/netns-cluster.js';
import { NETNS_PREFIX, listNetns } from '../../src/supervisor/netns.js';
import type { BootstrapMode } from '../../src/plan/bootstrap.js';
import { processesMentioning } from '../helpers/procs.js';
import { otherEtcd } from '../helpers/other-etcd.js';

const skip = process.platform !== 'linux' ? 'network namespaces need Linux' : process.getuid?.() !== 0 ? 'network namespaces need root' : false;
const BINS: Record<string, { path: string; version: { major: number; minor: number; patch: number; text: string } }> = {
  '3.4': { path: '/usr/bin/etcd', version: { major: 3, minor: 4, patch: 23, text: '3.4.23' } },
  '3.5': otherEtcd('3.5') ?? { path: 'no etcd 3.5', version: { major: 3, minor: 5, patch: 0, text: '3.5' } },
  '3.6': otherEtcd('3.6') ?? { path: 'no etcd 3.6', version: { major: 3, minor: 6, patch: 0, text: '3.6' } },
};
const mine = () => listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${process.pid}-`));
const running = new Set<NetnsCluster>();

after(async () => {
  for (const c of running) await c.destroy();
  // Nothing of this process is left: no namespace, no process in its run folders.
  assert.deepEqual(mine(), []);
});

async function withCluster<T>(nodes: number, bootstrap: BootstrapMode, v: string, fn: (c: NetnsCluster) => Promise<T>, spares = 0): Promise<T> {
  const c = await NetnsCluster.start({ nodes, bootstrap, etcd: BINS[v]!, timeoutMs: 60_000, spares });
  running.add(c);
  try {
    return await fn(c);
  } finally {
    await c.destroy();
    running.delete(c);
    assert.deepEqual(mine(), [], 'namespaces removed');
    assert.deepEqual(processesMentioning(c.net.dir), [], 'no process left');
    assert.equal(existsSync(c.net.dir), false, 'run folder removed');
  }
}

async function formsAcrossHosts(bootstrap: BootstrapMode, v: string): Promise<void> {
  await withCluster(3, bootstrap, v, async (c) => {
    const list = await c.ctl('m2', ['--endpoints', c.plan.members[1]!.clientURL, 'member', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.trim().split('\n').sort();
    assert.equal(rows.length, 3);
    for (const m of c.plan.members) assert.ok(rows.some((r) => r.includes(`, ${m.name}, ${m.peerURL}, ${m.clientURL}`)), `${m.name} in ${rows.join('\n')}`);
    // A write on one host is read on another, through the network between namespaces.
    const put = await c.put('m1', '/netns/hello', bootstrap);
    assert.equal(put.code, 0, put.stderr);
    const got = await c.get('m3', '/netns/hello');
    assert.equal(got.stdout.trim(), bootstrap);
    // The root namespace has no address (so no route) on the hosts' subnet: the bridge lives in a namespace.
    assert.doesNotMatch(execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' }), /inet 10\.77\./);
  });
}

test('static bootstrap (etcd 3.4): three namespace hosts form one cluster', { skip }, () => formsAcrossHosts('static', '3.4'));
test('dns bootstrap (etcd 3.5): the members find each other through dnsmasq serving the plan\'s SRV records', { skip: skip || (!existsSync(BINS['3.5']!.path) && 'no etcd 3.5') }, () => formsAcrossHosts('dns', '3.5'));
test('dns bootstrap (etcd 3.6)', { skip: skip || (!existsSync(BINS['3.6']!.path) && 'no etcd 3.6') }, () => formsAcrossHosts('dns', '3.6'));
test('discovery bootstrap, v2 protocol (etcd 3.4): through a discovery etcd on its own host', { skip }, () => formsAcrossHosts('discovery', '3.4'));
test('discovery bootstrap, v3 protocol (etcd 3.6): --discovery-token/--discovery-endpoints', { skip: skip || (!existsSync(BINS['3.6']!.path) && 'no etcd 3.6') }, () => formsAcrossHosts('discovery', '3.6'));

test('a member that cannot bootstrap fails the start with its log, and the run leaves nothing (3.4 DNS without TLS)', { skip }, async () => {
  await assert.rejects(
    NetnsCluster.start({ nodes: 3, bootstrap: 'dns', etcd: BINS['3.4']!, timeoutMs: 15_000 }),
    (e: unknown) => e instanceof LabError && /did not agree on a leader/.test(e.message) && e.details.some((d) => /_etcd-server-ssl/.test(d)),
  );
  assert.deepEqual(mine(), []);
});

test('kernel-level partition: the leader\'s host loses its link; the majority elects a leader and takes writes, the minority refuses; after healing it catches up', { skip }, async () => {
  await withCluster(3, 'static', '3.4', async (c) => {
    const all = c.plan.members.map((m) => m.name);
    const before = await c.status(all);
    const leader = c.nameOf(before[0]!.leader, before)!;
    const majority = all.filter((n) => n !== leader);
    await c.net.disconnect(leader);
    const after = await c.waitForLeader(majority, Date.now() + 20_000);
    const newLeader = c.nameOf(after[0]!.leader, after);
    assert.ok(newLeader !== undefined && majority.includes(newLeader), `new leader ${newLeader} among ${majority.join(', ')}`);
    const put = await c.put(majority[0]!, '/netns/partition', 'majority');
    assert.equal(put.code, 0, put.stderr);
    const refused = await c.put(leader, '/netns/partition', 'minority');
    assert.notEqual(refused.code, 0, 'the isolated member must not accept a write');
    assert.match(refused.stderr, /timed out|deadline exceeded|leader|unavailable/i);
    await c.net.connect(leader);
    await c.waitForLeader(all, Date.now() + 20_000);
    const got = await c.get(leader, '/netns/partition');
    assert.equal(got.stdout.trim(), 'majority');
  });
});

test('member replace across hosts: m2 moves to a spare host with its ID and data (member update of the peer URL, data dir carried over)', { skip }, async () => {
  await withCluster(3, 'static', '3.4', async (c) => {
    const put = await c.put('m1', '/netns/before-move', 'kept');
    assert.equal(put.code, 0, put.stderr);
    const idOf = async (name: string) => {
      const r = await c.ctl('m1', ['--endpoints', c.plan.members[0]!.clientURL, 'member', 'list']);
      return r.stdout.split('\n').find((l) => l.includes(`, ${name}, `)) ?? '';
    };
    const before = await idOf('m2');
    const oldDir = c.plan.members[1]!.dataDir;
    const moved = await c.moveMember('m2', 's1');
    assert.equal(moved.from, 'http://10.77.0.12:2380');
    assert.equal(moved.to, 'http://10.77.0.14:2380');
    const after = await idOf('m2');
    assert.equal(after.split(',')[0], before.split(',')[0], 'same member ID');
    assert.match(after, /, m2, http:\/\/10\.77\.0\.14:2380, http:\/\/10\.77\.0\.14:2379/);
    assert.equal(existsSync(oldDir), false, 'the data dir left the old host');
    assert.equal(c.hostOfMember('m2'), 's1');
    // Its data came along: it serves the key written before the move, from the new host, and takes writes.
    const got = await c.get('m2', '/netns/before-move');
    assert.equal(got.stdout.trim(), 'kept');
    assert.equal((await c.put('m2', '/netns/after-move', 'yes')).code, 0);
    // Nothing runs on the old host any more.
    const left = execFileSync('ip', ['netns', 'pids', c.net.nsOf('m2')], { encoding: 'utf8' }).trim();
    assert.equal(left, '');
  }, 1);
});
