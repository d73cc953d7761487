// `demo partition --netns`: the one-machine demo, unchanged, on network-namespace hosts, partitioned by the kernel in
// both modes (link: a bridge per group; drop: iptables rules per host). The partition modes are also checked below
// etcd: which hosts reach which while a partition holds, and that heal undoes it. Nothing is left behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runCli, cliArgs } from '../helpers/cli.js';
import { NetnsCluster } from '../../src/supervisor/netns-cluster.js';
import { NETNS_PREFIX, listNetns, staleNetns, type PartitionMode } from '../../src/supervisor/netns.js';
import { NetnsLab } from '../../src/chaos/netns-lab.js';
import { processesMentioning } from '../helpers/procs.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const skip = process.platform !== 'linux' ? 'network namespaces need Linux' : process.getuid?.() !== 0 ? 'network namespaces need root' : false;
const noIptables = spawnSync('iptables', ['--version']).status !== 0 && 'no iptables';
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
after(() => {
  if (!skip) spawnSync(process.execPath, cliArgs(['netns', 'cleanup']), { timeout: 30000 });
});

async function demoOnNetns(mode: PartitionMode): Promise<void> {
  const r = await runCli(['demo', 'partition', '--netns', '--partition-mode', mode, '--json'], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(r.stdout) as { passed: boolean; hosts: string; claims: { claim: string; ok: boolean; detail: string }[] };
  assert.equal(report.passed, true);
  assert.match(report.hosts, mode === 'link' ? /bridge ports/ : /iptables DROP/);
  const claim = (re: RegExp) => {
    const c = report.claims.find((x) => re.test(x.claim));
    assert.ok(c, `a claim matching ${re} in ${report.claims.map((x) => x.claim).join('; ')}`);
    assert.equal(c.ok, true, `${c.claim}: ${c.detail}`);
    return c;
  };
  claim(/a leader other than/); // re-elected on the majority side
  claim(/put \/demo\/majority via \S+ \(majority\) succeeds/);
  assert.match(claim(/put \/demo\/minority via \S+ \(minority\) fails/).detail, /timed out|failed/);
  claim(/linearizable get of \/demo\/before via \S+ \(minority\) fails/);
  claim(/converges/);
  assert.match(r.stderr, new RegExp(`kernel-level partition \\(${mode}\\)`));
  // The run's folder, its processes and its namespaces are gone: no namespace is left whose owning process has exited.
  const dir = /in (\/\S*etcd-lab-netns-\S+)/.exec(r.stderr)?.[1];
  assert.ok(dir, r.stderr);
  assert.equal(existsSync(dir), false, `${dir} removed`);
  assert.deepEqual(processesMentioning(dir), []);
  assert.deepEqual(staleNetns(listNetns(), alive), []);
}

test('demo partition --netns (link mode): the same demo passes with hosts moved to a bridge of their own', { skip }, () => demoOnNetns('link'));
test('demo partition --netns --partition-mode drop: the same demo passes with iptables DROP rules in each host', { skip: skip || noIptables }, () => demoOnNetns('drop'));

test('--partition-mode without --netns is refused', async () => {
  const r = await runCli(['demo', 'partition', '--partition-mode', 'drop']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--partition-mode .* needs --netns/);
});

for (const mode of ['link', 'drop'] as const) {
  test(`partition (${mode}) at the kernel level: hosts reach their own group only, clients still reach their member; heal restores every path`, { skip: skip || (mode === 'drop' && noIptables) }, async () => {
    const c = await NetnsCluster.start({ nodes: 3, bootstrap: 'static', etcd: { path: ETCD_PATH, version: ETCD_VERSION }, timeoutMs: 60_000 });
    try {
      await c.startRelays();
      const lab = new NetnsLab(c, mode);
      const reach = async (from: string, to: string) =>
        (await c.net.exec(from, ['curl', '-sS', '-o', '/dev/null', '--max-time', '1', `http://${c.plan.members.find((m) => m.name === to)!.address}:2379/version`], 5000)).code === 0;
      assert.equal(await reach('m1', 'm3'), true);
      await lab.partition([['m1', 'm2'], ['m3']]);
      assert.equal(await reach('m1', 'm2'), true, 'within a group');
      assert.equal(await reach('m1', 'm3'), false, 'across groups');
      assert.equal(await reach('m3', 'm2'), false, 'across groups, the other way');
      if (mode === 'drop') assert.match(execFileSync('ip', ['netns', 'exec', c.net.nsOf('m3'), 'iptables', '-S', 'INPUT'], { encoding: 'utf8' }), /-s 10\.77\.0\.11\/32 -j DROP/);
      // The client relay on m3's host still reaches m3, which (alone) cannot serve a linearizable read.
      const client = lab.etcdClient('m3', 1500);
      try {
        await assert.rejects(client.get('/x'));
        assert.ok(await client.status(), 'm3 answers its status through the relay');
      } finally {
        client.close();
      }
      assert.deepEqual(await lab.links(), [`m1,m2 | m3 (${mode === 'link' ? 'a bridge per group' : 'iptables DROP rules in each host'})`]);
      await lab.heal();
      assert.equal(await reach('m1', 'm3'), true);
      assert.equal(await reach('m3', 'm2'), true);
      if (mode === 'drop') assert.doesNotMatch(execFileSync('ip', ['netns', 'exec', c.net.nsOf('m3'), 'iptables', '-S', 'INPUT'], { encoding: 'utf8' }), /DROP/);
      const st = await lab.status();
      assert.equal(st.members.every((m) => m.state === 'running'), true);
    } finally {
      await c.destroy();
      assert.deepEqual(listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${process.pid}-`)), []);
      assert.deepEqual(processesMentioning(c.net.dir), []);
      assert.equal(existsSync(c.net.dir), false);
    }
  });
}
