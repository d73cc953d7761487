// The metrics sampler on a TLS cluster (the client certificate, as lab.etcdClient uses it): every member sampled;
// a paused member simply gives no samples while paused, and stop() still returns promptly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startCluster, type LabCluster } from '../../src/index.js';
import { startMetricsSampler } from '../../src/chaos/metrics-sampler.js';
import { RemoteLab } from '../../src/chaos/remote-lab.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { aimed } from '../helpers/settled.js';

let cluster: LabCluster | undefined;

after(async () => {
  const dir = cluster?.dir;
  await cluster?.stop();
  if (dir) killMentioning(dir);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('TLS cluster: every member sampled over https; a paused member has no samples while paused', { timeout: 90_000 }, async () => {
  // etcd's default timing: the fast profile's 100 ms election timeout lets a loaded machine lose a leader now and
  // then, and every sample below must say "has a leader".
  cluster = await startCluster({ nodes: 3, tls: true, chaos: false, profile: 'default', ports: await claimPorts() });
  assert.ok(cluster.endpoints.every((u) => u.startsWith('https://')));
  const lab = await RemoteLab.connect(cluster.dir);
  try {
    await cluster.waitForLeader();
    const t0 = performance.now();
    const sampler = startMetricsSampler(lab, { everyMs: 200, t0 });
    await sleep(1000);
    const victim = (await aimed(() => lab.pause('follower'))).members[0]!;
    const pausedAt = performance.now() - t0;
    await sleep(1200);
    await lab.resume(victim);
    const resumedAt = performance.now() - t0;
    await sleep(800);
    const stopping = performance.now();
    const samples = await sampler.stop();
    assert.ok(performance.now() - stopping < 2500, 'stop() waits at most for the answers in flight (timeout 1 s)');
    for (const m of lab.memberNames) {
      const mine = samples.filter((s) => s.member === m && s.name === 'etcd_server_has_leader');
      assert.ok(mine.length >= 3, `${m}: ${mine.length} samples in 3 s`);
      assert.ok(mine.every((s) => s.value === 1), `${m} always had a leader`);
    }
    // A sample is timed when its answer is read: one the victim sent just before its pause may be read late by a busy
    // test process, hence the margin; any answer sent while paused would still land in the 700 ms left.
    const during = samples.filter((s) => s.member === victim && s.t > pausedAt + 500 && s.t < resumedAt);
    assert.deepEqual(during, [], `${victim} was paused from ${pausedAt.toFixed(0)} to ${resumedAt.toFixed(0)} ms`);
    assert.ok(samples.some((s) => s.member === victim && s.t > resumedAt), `${victim} answers again once resumed`);
    assert.equal(new Set(samples.map((s) => s.name)).size, 6);
  } finally {
    lab.close();
  }
  const dir = cluster.dir;
  await cluster.stop();
  assert.deepEqual(await waitNoProcesses(dir, 10_000), []);
});
