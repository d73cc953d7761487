// Rolling upgrades through the CLI, on real etcd binaries: 3.5.30 -> 3.6.14 of a 3-member cluster while a writer puts
// sequenced keys through every member, then a refused downgrade; 3.4.23 -> 3.5.30 of one member (a mixed cluster),
// then the refusals of a skipped minor version, a binary that is not etcd, an unknown member and a quorum loss (a
// member down), and the down member started on the new binary. Each refusal changes nothing: same pids, same
// binaries, same plan.json.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { inTemp, killIn, lab, settledStatus, show, statusJson, tempDir, upDetached } from '../helpers/lab-cli.js';
import { waitFor } from '../helpers/until.js';
import { EtcdClient } from '../../src/etcd/client.js';
import { otherEtcd, VERSIONS_DIR } from '../helpers/other-etcd.js';
import type { UpgradeResult } from '../../src/supervisor/upgrade.js';

const ETCD_34 = process.env.ETCD_34_BIN ?? '/usr/bin/etcd';
const ETCD_35 = otherEtcd('3.5')?.path ?? `${VERSIONS_DIR}/3.5/etcd`;
const ETCD_36 = otherEtcd('3.6')?.path ?? `${VERSIONS_DIR}/3.6/etcd`;
const missing = [ETCD_34, ETCD_35, ETCD_36].filter((p) => !existsSync(p));

const base = tempDir('etcd-lab-upgrade');
const port = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

/** The binary a pid runs. */
function exe(pid: number | null): string {
  assert.ok(pid !== null, 'a member without a pid');
  return readlinkSync(`/proc/${pid}/exe`);
}

/** What a refused upgrade must leave as it was: the members' pids (state.json), the binaries they run, plan.json. */
function snapshot(dir: string): { pids: (number | null)[]; exes: string[]; plan: string } {
  const pids = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { members: { pid: number | null }[] }).members.map((m) => m.pid);
  return { pids, exes: pids.map((p) => (p === null ? 'down' : exe(p))), plan: readFileSync(join(dir, 'plan.json'), 'utf8') };
}

async function refused(tmp: string, dir: string, args: string[], code: number, message: RegExp): Promise<string> {
  const before = snapshot(dir);
  const r = await lab(tmp, ['upgrade', ...args, '--dir', dir]);
  assert.equal(r.code, code, show(r));
  assert.match(r.stderr, message, show(r));
  assert.equal(r.stdout, '');
  assert.deepEqual(snapshot(dir), before, `upgrade ${args.join(' ')} changed something`);
  return r.stderr;
}

interface Ack {
  key: string;
  via: string;
  at: number;
}

/** One lane per member putting sequenced keys; remembers what was acknowledged, through whom, and when. */
function startWriter(urls: Record<string, string>, prefix: string): { stop(): Promise<{ acked: Ack[]; failed: number }> } {
  const acked: Ack[] = [];
  let failed = 0;
  let seq = 0;
  let running = true;
  const lanes = Object.entries(urls).map(async ([via, url]) => {
    const c = new EtcdClient(url, { timeoutMs: 2000 });
    try {
      while (running) {
        const key = `${prefix}${String(seq++).padStart(8, '0')}`;
        let ok = false;
        try {
          await c.put(key, via);
          acked.push({ key, via, at: Date.now() });
          ok = true;
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, ok ? 5 : 50));
      }
    } finally {
      c.close();
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      return { acked, failed };
    },
  };
}

describe('etcd-lab upgrade', { concurrency: 2, skip: missing.length > 0 ? `no ${missing.join(', ')}` : false }, () => {
  test('3.5.30 -> 3.6.14 of every member under writes: leader last, nothing lost, writes served throughout; a downgrade is refused', { timeout: 300_000 }, async () => {
    const tmp = tempDir('roll', base);
    const dir = join(tmp, 'lab');
    await inTemp(tmp, async () => {
      await upDetached(tmp, dir, port, ['--etcd', ETCD_35]);
      const before = await settledStatus(tmp, dir, (x) => x.clusterVersion !== null);
      assert.deepEqual(before.members.map((m) => m.version), ['3.5.30', '3.5.30', '3.5.30']);
      assert.equal(before.clusterVersion, '3.5.0');

      const urls = Object.fromEntries(before.members.map((m) => [m.name, m.clientURL]));
      const writer = startWriter(urls, 'upgrade/');
      await new Promise((r) => setTimeout(r, 500));
      const r = await lab(tmp, ['upgrade', 'all', '--etcd', ETCD_36, '--json', '--dir', dir], { timeoutMs: 150_000 });
      await new Promise((r) => setTimeout(r, 500));
      const { acked, failed } = await writer.stop();
      assert.equal(r.code, 0, show(r));
      const result = JSON.parse(r.stdout) as UpgradeResult;

      // One at a time, the leader last, each on the new version.
      assert.equal(result.version, '3.6.14');
      assert.deepEqual(result.members.map((m) => m.action), ['upgraded', 'upgraded', 'upgraded']);
      assert.deepEqual(result.members.map((m) => m.wasLeader), [false, false, true], r.stdout);
      assert.equal(result.members[2]!.member, before.leader);
      for (let i = 1; i < 3; i++) assert.ok(result.members[i]!.startedAt! >= result.members[i - 1]!.endedAt!, 'replacements overlapped');

      // Every member on 3.6.14, on the new binary; the cluster version follows (etcd raises it within seconds).
      const after = await waitFor(() => statusJson(tmp, dir), (s) => s.clusterVersion === '3.6.0', 'cluster version 3.6.0', 20_000, 250);
      assert.deepEqual(after.members.map((m) => m.version), ['3.6.14', '3.6.14', '3.6.14']);
      for (const m of after.members) {
        assert.notEqual(m.pid, before.members.find((b) => b.name === m.name)!.pid, `${m.name} was not replaced`);
        assert.equal(exe(m.pid), ETCD_36);
      }
      assert.equal(result.clusterVersion, '3.6.0');

      // Every acknowledged write is on every member.
      assert.ok(acked.length > 50, `only ${acked.length} writes acknowledged (${failed} failed)`);
      for (const m of after.members) {
        const c = new EtcdClient(m.clientURL, { timeoutMs: 5000 });
        try {
          const keys = new Set((await c.range('upgrade/')).kvs.map((kv) => kv.key));
          const lost = acked.filter((a) => !keys.has(a.key));
          assert.deepEqual(lost, [], `${m.name} lacks acknowledged writes`);
        } finally {
          c.close();
        }
      }
      // The cluster answered writes while each member was being replaced, through the other members.
      for (const m of result.members) {
        const inWindow = acked.filter((a) => a.at >= m.startedAt! && a.at <= m.endedAt! && a.via !== m.member);
        assert.ok(inWindow.length > 0, `no write acknowledged while ${m.member} was replaced (${m.totalMs} ms)`);
      }

      // Restarts keep the member's new binary.
      const restart = await lab(tmp, ['restart', 'm1', '--dir', dir]);
      assert.equal(restart.code, 0, show(restart));
      const restarted = await waitFor(() => statusJson(tmp, dir), (s) => s.members[0]!.version === '3.6.14', 'm1 back on 3.6.14', 20_000, 100);
      assert.equal(exe(restarted.members[0]!.pid), ETCD_36);

      // Back to 3.5 is a downgrade: refused, with etcd's own procedure named.
      const err = await refused(tmp, dir, ['m2', '--etcd', ETCD_35], 2, /cannot downgrade m2 from etcd 3\.6\.14 to 3\.5\.30/);
      assert.match(err, /etcdctl downgrade enable 3\.5/);
      assert.equal((await lab(tmp, ['down', '--dir', dir])).code, 0);
    });
  });

  test('3.4.23 -> 3.5.30 of one member: a mixed cluster; skipping 3.5, a non-etcd binary, an unknown member, a quorum loss are refused; a down member starts on the new binary', { timeout: 300_000 }, async () => {
    const tmp = tempDir('mixed', base);
    const dir = join(tmp, 'lab');
    await inTemp(tmp, async () => {
      await upDetached(tmp, dir, port + 20, ['--etcd', ETCD_34]);
      const before = await settledStatus(tmp, dir);
      assert.deepEqual(before.members.map((m) => m.version), ['3.4.23', '3.4.23', '3.4.23']);

      const r = await lab(tmp, ['upgrade', 'm2', '--etcd', ETCD_35, '--dir', dir], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^m2 {2}3\.4\.23 -> 3\.5\.30 {2}(follower|leader {2}) {2}stop \d+ ms, start \d+ ms, ready \d+ ms: \d+ ms/m);
      assert.match(r.stdout, /^cluster version 3\.4\.0.*; 1 member on etcd 3\.5\.30 in /m);

      const mixed = await settledStatus(tmp, dir, (x) => x.clusterVersion !== null);
      assert.deepEqual(mixed.members.map((m) => m.version), ['3.4.23', '3.5.30', '3.4.23']);
      assert.equal(mixed.clusterVersion, '3.4.0');
      assert.notEqual(mixed.leader, null);
      assert.equal(exe(mixed.members[1]!.pid), ETCD_35);
      assert.deepEqual([0, 2].map((i) => mixed.members[i]!.pid), [0, 2].map((i) => before.members[i]!.pid));
      const text = await lab(tmp, ['status', '--dir', dir]);
      assert.match(text.stdout, /^cluster version 3\.4\.0 \(members run 3\.4\.23, 3\.5\.30\)$/m, show(text));
      assert.match(text.stdout, /^m2 .* 3\.5\.30$/m);
      const planned = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { members: { etcdPath?: string; args: string[] }[] };
      assert.equal(planned.members[1]!.etcdPath, ETCD_35);
      assert.ok(!planned.members[1]!.args.includes('--logger=zap'), '3.5 was given the flags of 3.4');
      assert.ok(planned.members[0]!.args.includes('--logger=zap'));

      await refused(tmp, dir, ['m1', '--etcd', ETCD_36], 2, /cannot upgrade m1 from etcd 3\.4\.23 to 3\.6\.14: that skips 3\.5\n.*hint: .*one minor version at a time/);
      await refused(tmp, dir, ['m2', '--etcd', ETCD_36], 2, /cannot bring etcd 3\.6\.14 into a cluster where m1 runs 3\.4\.23, m3 runs 3\.4\.23: that skips 3\.5/);
      const fake = join(tmp, 'etcd');
      writeFileSync(fake, '#!/bin/sh\necho "not etcd at all"\n');
      chmodSync(fake, 0o755);
      await refused(tmp, dir, ['all', '--etcd', fake], 1, /does not look like etcd: `--version` printed "not etcd at all"/);
      await refused(tmp, dir, ['m9', '--etcd', ETCD_35], 2, /there is no member "m9"/);

      // A member that is down: stopping another would cost the quorum, so that is refused; the down one is started
      // on the new binary.
      const stop = await lab(tmp, ['run', 'stop', 'm3', '--dir', dir]);
      assert.equal(stop.code, 0, show(stop));
      await refused(tmp, dir, ['m1', '--etcd', ETCD_35], 1, /only 1 of 3 voting members would run, and etcd needs 2 to serve \(m3 is down\)/);
      const started = await lab(tmp, ['upgrade', 'm3', '--etcd', ETCD_35, '--dir', dir], { timeoutMs: 120_000 });
      assert.equal(started.code, 0, show(started));
      assert.match(started.stdout, /^m3 {2}3\.4\.23 -> 3\.5\.30 {2}was down {2}start \d+ ms, ready \d+ ms/m);
      const back = await settledStatus(tmp, dir);
      assert.deepEqual(back.members.map((m) => [m.state, m.version]), [['running', '3.4.23'], ['running', '3.5.30'], ['running', '3.5.30']]);
      assert.equal(exe(back.members[2]!.pid), ETCD_35);
      assert.equal((await lab(tmp, ['down', '--dir', dir])).code, 0);
    });
  });
});
