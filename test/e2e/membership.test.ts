// Membership at run time through the CLI: 3 -> 5 -> 3 with writes checked on every member, learners and promotion,
// refusals (last member, quorum loss, promoting a voter), node migration with the same ID and data, down + up of a
// resized cluster, and `up --grpc-proxy` with etcdctl through the proxy. Three clusters run side by side.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { etcdctl, inTemp, killIn, lab, settledStatus, show, statusJson, tempDir, upArgs, upDetached, type CliResult } from '../helpers/lab-cli.js';
import { waitFor } from '../helpers/until.js';
import { EtcdClient } from '../../src/etcd/client.js';
import type { MemberChange } from '../../src/supervisor/membership.js';

const base = tempDir('etcd-lab-membership');
const port = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

async function ok(tmp: string, args: string[]): Promise<CliResult> {
  const r = await lab(tmp, args);
  assert.equal(r.code, 0, show(r));
  return r;
}

async function change(tmp: string, dir: string, args: string[]): Promise<MemberChange> {
  const r = await ok(tmp, ['member', ...args, '--json', '--dir', dir]);
  return JSON.parse(r.stdout) as MemberChange;
}

/** Waits until every client URL serves `key` = `value` from its own copy (a serializable read). */
async function onAll(urls: string[], key: string, value: string): Promise<void> {
  for (const url of urls) {
    const c = new EtcdClient(url, { timeoutMs: 1000 });
    try {
      await waitFor(() => c.get(key, { serializable: true }).then((r) => r.value), (v) => v === value, `${key}=${value} on ${url}`, 10_000);
    } finally {
      c.close();
    }
  }
}

async function put(url: string, key: string, value: string): Promise<void> {
  const c = new EtcdClient(url, { timeoutMs: 3000 });
  try {
    await c.put(key, value);
  } finally {
    c.close();
  }
}

function planNames(dir: string): string[] {
  return (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { members: { name: string }[] }).members.map((m) => m.name);
}

describe('membership', { concurrency: 3 }, () => {
  test('3 -> 5 -> 3 with writes on every member, down + up keeps the size, a gRPC proxy in front', { timeout: 120_000 }, async () => {
    const tmp = tempDir('scale', base);
    const dir = join(tmp, 'lab');
    const proxy = `127.0.0.1:${port + 29}`;
    await inTemp(
      tmp,
      async () => {
        const upped = await upDetached(tmp, dir, port, ['--grpc-proxy-port', String(port + 29)]);
        assert.match(upped.stdout, new RegExp(`^gRPC proxy ${proxy} .*etcdctl --endpoints ${proxy}`, 'm'));
        const viaProxy = await etcdctl(proxy, ['put', 'k1', 'v1']);
        assert.equal(viaProxy.code, 0, viaProxy.stderr);
        assert.equal((await etcdctl(proxy, ['get', 'k1', '--print-value-only'])).stdout.trim(), 'v1');

        // The 4th member makes an even count: warned. Ports continue the --ports layout.
        const fourth = await ok(tmp, ['member', 'add', '--dir', dir]);
        assert.match(fourth.stdout, /^added m4 \(id [0-9a-f]+, voting member\) in \d+ ms: 4 members, quorum 3$/m);
        assert.match(fourth.stderr, /warning: 4 members tolerate 1 failure, the same as 3/);
        assert.match(fourth.stdout, new RegExp(`client http://127.0.0.1:${port + 6}  peer http://127.0.0.1:${port + 7}`));
        const fifth = await change(tmp, dir, ['add']);
        assert.equal(fifth.member, 'm5');
        assert.equal(fifth.members, 5);
        assert.equal(fifth.quorum, 3);
        assert.deepEqual(fifth.warnings, []);

        let status = await statusJson(tmp, dir);
        assert.deepEqual(status.members.map((m) => [m.name, m.state, m.isLearner]), [
          ['m1', 'running', false], ['m2', 'running', false], ['m3', 'running', false], ['m4', 'running', false], ['m5', 'running', false],
        ]);
        const urls5 = status.members.map((m) => m.clientURL);
        await put(urls5[4]!, 'k2', 'v2');
        await onAll(urls5, 'k1', 'v1');
        await onAll(urls5, 'k2', 'v2');
        // The proxy follows the membership (it was restarted with the 5 endpoints) and still serves.
        assert.equal((status as unknown as { grpcProxy: { endpoints: string[] } }).grpcProxy.endpoints.length, 5);
        assert.equal((await etcdctl(proxy, ['get', 'k2', '--print-value-only'])).stdout.trim(), 'v2');
        assert.deepEqual(planNames(dir), ['m1', 'm2', 'm3', 'm4', 'm5']);

        // down + up brings back the 5 members with their data.
        await ok(tmp, ['down', '--dir', dir]);
        const again = await ok(tmp, ['up', '-d', '--dir', dir]);
        assert.match(again.stdout, /^cluster ready in \d+ ms: 5 members, quorum 3/m);
        status = await statusJson(tmp, dir);
        assert.equal(status.members.filter((m) => m.state === 'running').length, 5);
        assert.equal('grpcProxy' in status, false);
        await onAll([urls5[3]!], 'k2', 'v2');

        const removed5 = await change(tmp, dir, ['remove', 'm5']);
        assert.equal(removed5.members, 4);
        assert.match(removed5.warnings.join('\n'), /4 members tolerate 1 failure/);
        const removed4 = await change(tmp, dir, ['remove', 'm4']);
        assert.deepEqual([removed4.members, removed4.quorum, removed4.warnings], [3, 2, []]);
        status = await statusJson(tmp, dir);
        assert.deepEqual(status.members.map((m) => m.name), ['m1', 'm2', 'm3']);
        const urls3 = status.members.map((m) => m.clientURL);
        await put(urls3[0]!, 'k3', 'v3');
        for (const k of ['k1', 'k2']) await onAll(urls3, k, `v${k[1]}`);
        await onAll(urls3, 'k3', 'v3');
        assert.deepEqual(planNames(dir), ['m1', 'm2', 'm3']);
        assert.ok(existsSync(join(dir, 'logs', 'm4.log')), 'the removed member keeps its log');
        assert.ok(!existsSync(join(dir, 'data', 'm4')), 'the removed member loses its data dir');
        const list = await ok(tmp, ['member', 'list', '--json', '--dir', dir]);
        assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((m) => m.name), ['m1', 'm2', 'm3']);
        await ok(tmp, ['down', '--dir', dir]);
      },
      () => lab(tmp, ['down', '--dir', dir]),
    );
  });

  test('learner add, promote, promoting a voter refused, removal refused for quorum, replace keeps ID and data', { timeout: 120_000 }, async () => {
    const tmp = tempDir('learner', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await upDetached(tmp, dir, port + 30);
        const added = await change(tmp, dir, ['add', '--learner']);
        assert.deepEqual([added.member, added.isLearner, added.members, added.voters, added.quorum], ['m4', true, 4, 3, 2]);
        // Learners are known from the member list, which one slow reading may miss.
        let status = await settledStatus(tmp, dir, (x) => x.members.some((m) => m.isLearner));
        assert.deepEqual(status.members.map((m) => m.isLearner), [false, false, false, true]);
        const table = await ok(tmp, ['status', '--dir', dir]);
        assert.match(table.stdout, /^m4 .* learner /m);

        const promoted = await change(tmp, dir, ['promote', 'm4']);
        assert.deepEqual([promoted.isLearner, promoted.voters, promoted.quorum], [false, 4, 3]);
        status = await statusJson(tmp, dir);
        assert.equal(status.members.find((m) => m.name === 'm4')!.isLearner, false);
        const again = await lab(tmp, ['member', 'promote', 'm4', '--dir', dir]);
        assert.equal(again.code, 2, show(again));
        assert.match(again.stderr, /error: m4 is a voting member already: only a learner can be promoted/);

        await change(tmp, dir, ['remove', 'm4']);
        await ok(tmp, ['run', 'stop', 'm3', '--dir', dir]);
        const refused = await lab(tmp, ['member', 'remove', 'm2', '--dir', dir]);
        assert.equal(refused.code, 2, show(refused));
        assert.match(refused.stderr, /error: removing m2 leaves 1 of 2 voting members up \(m1; m3 down\), and a 2-member cluster needs 2 for quorum/);
        assert.deepEqual(planNames(dir), ['m1', 'm2', 'm3'], 'nothing changed');
        const moveRefused = await lab(tmp, ['member', 'replace', 'm2', '--dir', dir]);
        assert.equal(moveRefused.code, 2, show(moveRefused));
        assert.match(moveRefused.stderr, /replacing m2 takes it down for a moment: 1 of 3 voting members would stay up \(m1\)/);
        await ok(tmp, ['run', 'start', 'm3', '--dir', dir]);
        const toRefused = await lab(tmp, ['member', 'replace', 'm2', '--to', 's1', '--dir', dir]);
        assert.equal(toRefused.code, 2, show(toRefused));
        assert.match(toRefused.stderr, /error: --to moves a member to another host, and the cluster in .* runs on this machine/);

        // Node migration: a new peer URL, the same member ID, its data still there.
        status = await settledStatus(tmp, dir);
        const m2 = status.members.find((m) => m.name === 'm2')!;
        await put(m2.clientURL, 'before-move', 'kept');
        const moved = await change(tmp, dir, ['replace', 'm2']);
        assert.equal(moved.id, m2.id);
        assert.equal(moved.previousPeerURL, m2.peerURL);
        assert.notEqual(moved.peerURL, m2.peerURL);
        const list = JSON.parse((await ok(tmp, ['member', 'list', '--json', '--dir', dir])).stdout) as { name: string; id: string; peerURLs: string[] }[];
        assert.deepEqual(list.find((m) => m.name === 'm2'), { ...list.find((m) => m.name === 'm2'), id: m2.id, peerURLs: [moved.peerURL] });
        status = await settledStatus(tmp, dir);
        assert.equal(status.members.find((m) => m.name === 'm2')!.id, m2.id);
        await onAll([m2.clientURL], 'before-move', 'kept');
        await put(status.members[0]!.clientURL, 'after-move', 'yes');
        await onAll(status.members.map((m) => m.clientURL), 'after-move', 'yes');
        await ok(tmp, ['down', '--dir', dir]);
      },
      () => lab(tmp, ['down', '--dir', dir]),
    );
  });

  test('a lone member: removing it is refused, adding a taken name is refused, it moves through its own change', { timeout: 60_000 }, async () => {
    const tmp = tempDir('lone', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await ok(tmp, upArgs(dir, port + 60, ['-d', '-n', '1']));
        const last = await lab(tmp, ['member', 'remove', 'm1', '--dir', dir]);
        assert.equal(last.code, 2, show(last));
        assert.match(last.stderr, /error: m1 is the last member: removing it would leave no cluster/);
        const taken = await lab(tmp, ['member', 'add', 'm1', '--dir', dir]);
        assert.equal(taken.code, 2, show(taken));
        assert.match(taken.stderr, /there is a member named "m1" already/);
        const unknown = await lab(tmp, ['member', 'promote', 'm7', '--dir', dir]);
        assert.equal(unknown.code, 2, show(unknown));
        const before = (await statusJson(tmp, dir)).members[0]!;
        await put(before.clientURL, 'solo', '1');
        const moved = await change(tmp, dir, ['replace', 'm1']);
        assert.equal(moved.id, before.id);
        await onAll([before.clientURL], 'solo', '1');
        await ok(tmp, ['down', '--dir', dir]);
      },
      () => lab(tmp, ['down', '--dir', dir]),
    );
  });
});
