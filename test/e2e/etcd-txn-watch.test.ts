// EtcdClient.txn and the streamed watch against a real single-member etcd (whatever `etcd` is first on PATH:
// run it with an etcd 3.6 first on PATH for 3.6).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { EtcdClient, EtcdRequestError } from '../../src/etcd/client.js';
import type { WatchResponse } from '../../src/etcd/watch.js';

describe('txn and watch against etcd', () => {
  let dir = '';
  let child: ChildProcess | undefined;
  let client: EtcdClient;

  before(async () => {
    const base = await claimPorts();
    dir = mkdtempSync(join(tmpdir(), 'etcd-lab-txn-watch-'));
    const clientURL = `http://127.0.0.1:${base}`;
    const peerURL = `http://127.0.0.1:${base + 1}`;
    child = spawn(
      'etcd',
      ['--name', 'm1', '--data-dir', join(dir, 'm1'), '--listen-client-urls', clientURL, '--advertise-client-urls', clientURL,
        '--listen-peer-urls', peerURL, '--initial-advertise-peer-urls', peerURL, '--initial-cluster', `m1=${peerURL}`,
        '--heartbeat-interval', '10', '--election-timeout', '100'],
      { detached: true, stdio: 'ignore' },
    );
    client = new EtcdClient(clientURL);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await client.status({ timeoutMs: 300 })).leader) break;
      } catch (e) {
        if (!(e instanceof EtcdRequestError)) throw e;
      }
      if (Date.now() > deadline) throw new Error('etcd did not get ready in 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    client?.close();
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    killMentioning(dir);
    await waitNoProcesses(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  test('txn: compare on value and on create revision, then put; succeeded and the header revision', async () => {
    const absent = await client.txn([{ key: 't/a', createRevision: '0' }], [{ key: 't/a', value: 'v1' }]);
    assert.equal(absent.succeeded, true);
    const again = await client.txn([{ key: 't/a', createRevision: '0' }], [{ key: 't/a', value: 'v2' }]);
    assert.equal(again.succeeded, false, 'the key exists now');
    assert.equal(again.revision, absent.revision, 'a failed compare writes nothing');
    const wrong = await client.txn([{ key: 't/a', value: 'nope' }], [{ key: 't/a', value: 'v3' }]);
    assert.equal(wrong.succeeded, false);
    const right = await client.txn([{ key: 't/a', value: 'v1' }], [{ key: 't/a', value: 'v4' }]);
    assert.equal(right.succeeded, true);
    assert.equal(Number(right.revision), Number(absent.revision) + 1);
    assert.equal((await client.get('t/a')).value, 'v4');
  });

  test('watch: history from a start revision, then live events; a two-key txn is one response at one revision', async () => {
    const first = await client.put('w/a', '1');
    await client.put('w/b', '2');
    await client.put('other', 'x');
    const got: WatchResponse[] = [];
    let wake: () => void = () => undefined;
    const h = client.watch({ prefix: 'w/', startRevision: Number(first.revision) }, (r) => {
      got.push(r);
      wake();
    });
    assert.equal(await h.created, true);
    const txn = await client.txn([], [{ key: 'w/c', value: '3' }, { key: 'w/d', value: '4' }]);
    const events = () => got.flatMap((r) => r.events);
    const deadline = Date.now() + 5000;
    while (events().length < 4 && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
    h.cancel();
    assert.deepEqual((await h.done).reason, 'cancelled');
    assert.deepEqual(
      events().map((e) => [e.type, e.key, e.value, e.revision]),
      [
        ['put', 'w/a', '1', Number(first.revision)],
        ['put', 'w/b', '2', Number(first.revision) + 1],
        ['put', 'w/c', '3', Number(txn.revision)],
        ['put', 'w/d', '4', Number(txn.revision)],
      ],
    );
    const txnResponse = got.find((r) => r.events.some((e) => e.key === 'w/c'))!;
    assert.ok(txnResponse.events.some((e) => e.key === 'w/d'), 'both events of the txn in one response');
    assert.ok(got.every((r) => r.revision >= Math.max(0, ...r.events.map((e) => e.revision))));
  });

  test('watch: a delete event, and prev_kv', async () => {
    await client.put('d/x', 'old');
    const now = Number((await client.get('d/x')).revision);
    const got: WatchResponse[] = [];
    const h = client.watch({ prefix: 'd/', startRevision: now + 1, prevKv: true }, (r) => got.push(r));
    await h.created;
    const del = await fetch(`${client.endpoint}/v3/kv/deleterange`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('d/x').toString('base64') }) });
    assert.equal(del.status, 200);
    const deadline = Date.now() + 5000;
    while (got.flatMap((r) => r.events).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    h.cancel();
    const [ev] = got.flatMap((r) => r.events);
    assert.deepEqual(ev, { type: 'delete', key: 'd/x', value: null, revision: now + 1, prevValue: 'old' });
  });

  test('watch from a compacted revision ends "compacted" with the compact revision', async () => {
    await client.put('c/1', 'a');
    const r = await client.put('c/1', 'b');
    const res = await fetch(`${client.endpoint}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: r.revision }) });
    assert.equal(res.status, 200);
    const h = client.watch({ prefix: 'c/', startRevision: 1 }, () => undefined);
    assert.deepEqual(await h.done, { reason: 'compacted', compactRevision: Number(r.revision) });
  });

  test('watch on a port where nothing listens ends with a refused error', async () => {
    const dead = new EtcdClient(`http://127.0.0.1:${(await claimPorts()) + 5}`);
    const end = await dead.watch({ prefix: 'x/' }, () => undefined).done;
    dead.close();
    assert.equal(end.reason, 'error');
    assert.equal(end.reason === 'error' && end.error.kind, 'refused');
  });
});
