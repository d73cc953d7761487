// EtcdClient against a real single-member etcd (and a fake HTTP server for the odd answers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { DEFAULT_TIMEOUT_MS, EtcdClient, EtcdRequestError } from '../../src/etcd/client.js';
import { LabError } from '../../src/errors.js';
import { parseLogLine } from '../../src/etcd/zap.js';
import { CLUSTER_VERSION } from '../helpers/etcd-under-test.js';

// How late a timer may fire on a loaded machine. Kept below DEFAULT_TIMEOUT_MS - 400, so that a bound the client
// ignored (it would wait the default 1.5 s) still fails the tests below.
const TIMEOUT_MARGIN_MS = 900;
assert.ok(400 + TIMEOUT_MARGIN_MS < DEFAULT_TIMEOUT_MS);

async function rejectsKind(p: Promise<unknown>, kind: EtcdRequestError['kind']): Promise<EtcdRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EtcdRequestError, `not an EtcdRequestError: ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected an EtcdRequestError of kind ${kind}`);
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

/** kill() returns before every thread of the process has stopped: wait (bounded) for state T in /proc. */
async function waitStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop within 2 s of SIGSTOP`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('EtcdClient against etcd', () => {
  let dir = '';
  let base = 0;
  let child: ChildProcess | undefined;
  let client: EtcdClient;
  const logLines: string[] = [];
  let clientURL = '';
  let peerURL = '';

  before(async () => {
    base = await claimPorts();
    dir = mkdtempSync(join(tmpdir(), 'etcd-lab-client-'));
    clientURL = `http://127.0.0.1:${base}`;
    peerURL = `http://127.0.0.1:${base + 1}`;
    child = spawn(
      'etcd',
      [
        '--name', 'm1',
        '--data-dir', join(dir, 'm1'),
        '--listen-client-urls', clientURL,
        '--advertise-client-urls', clientURL,
        '--listen-peer-urls', peerURL,
        '--initial-advertise-peer-urls', peerURL,
        '--initial-cluster', `m1=${peerURL}`,
        '--heartbeat-interval', '10',
        '--election-timeout', '100',
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      const parts = (partial + s).split('\n');
      partial = parts.pop()!;
      logLines.push(...parts);
    });
    client = new EtcdClient(clientURL);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const st = await client.status({ timeoutMs: 300 });
        if (st.leader) break;
      } catch (e) {
        if (!(e instanceof EtcdRequestError)) throw e;
      }
      if (Date.now() > deadline) throw new Error(`etcd did not get ready in 10 s:\n${logLines.slice(-10).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    client?.close();
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    killMentioning(dir);
    const left = await waitNoProcesses(dir, 5000);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'etcd survived the test');
  });

  test('status: hex IDs as etcd prints them, leader, term, revision', async () => {
    const st = await client.status();
    const started = logLines.map(parseLogLine).find((l) => l?.msg === 'starting local member');
    assert.ok(started, 'etcd logged its member ID');
    assert.equal(st.memberId, started.fields['local-member-id']);
    assert.equal(st.clusterId, started.fields['cluster-id']);
    assert.match(st.memberId, /^[0-9a-f]{1,16}$/);
    assert.equal(st.leader, st.memberId);
    assert.match(st.version, /^3\.\d+\.\d+$/);
    assert.ok(Number(st.raftTerm) >= 1);
    assert.ok(Number(st.raftIndex) >= 1);
    assert.match(st.revision, /^\d+$/);
    assert.ok(st.dbSize > 0);
    assert.equal(st.isLearner, false);
    assert.deepEqual(st.errors, []);
  });

  test('health', async () => {
    assert.deepEqual(await client.health(), { healthy: true });
  });

  test('memberList', async () => {
    const st = await client.status();
    assert.deepEqual(await client.memberList(), [
      { id: st.memberId, name: 'm1', peerURLs: [peerURL], clientURLs: [clientURL], isLearner: false },
    ]);
  });

  test('put, get (linearizable and serializable), range with a prefix', async () => {
    const r1 = await client.put('lab/a', '1');
    const r2 = await client.put('lab/b', 'grüße ✓');
    await client.put('lab0', 'outside the prefix');
    await client.put('la', 'outside too');
    assert.equal(BigInt(r2.revision), BigInt(r1.revision) + 1n);

    const a = await client.get('lab/a');
    assert.deepEqual(a, { value: '1', modRevision: r1.revision, revision: String(BigInt(r1.revision) + 3n) });
    assert.equal((await client.get('lab/b', { serializable: true })).value, 'grüße ✓');
    const missing = await client.get('lab/none');
    assert.equal(missing.value, null);
    assert.equal(missing.modRevision, null);
    assert.equal(missing.revision, a.revision);

    const r = await client.range('lab/');
    assert.deepEqual(r.kvs, [
      { key: 'lab/a', value: '1', modRevision: r1.revision },
      { key: 'lab/b', value: 'grüße ✓', modRevision: r2.revision },
    ]);
    assert.equal(r.revision, a.revision);
    const all = await client.range('');
    assert.deepEqual(all.kvs.map((kv) => kv.key), ['la', 'lab/a', 'lab/b', 'lab0']);
  });

  test('hash changes with the data, at the current revision', async () => {
    const h1 = await client.hash();
    assert.match(h1.hash, /^\d+$/);
    const { revision } = await client.put('lab/hash', String(Date.now()));
    const h2 = await client.hash();
    assert.equal(h2.revision, revision);
    assert.notEqual(h2.hash, h1.hash);
  });

  test('member add of a learner, promote refused (not in sync), remove', async () => {
    const learnerPeer = `http://127.0.0.1:${base + 10}`;
    const added = await client.memberAdd([learnerPeer], true);
    assert.equal(added.member.isLearner, true);
    assert.equal(added.member.name, '');
    assert.deepEqual(added.member.peerURLs, [learnerPeer]);
    assert.match(added.member.id, /^[0-9a-f]{1,16}$/);
    const list = await client.memberList();
    assert.equal(list.length, 2);
    assert.deepEqual(list.find((m) => m.id === added.member.id), added.member);

    const refused = await rejectsKind(client.memberPromote(added.member.id), 'etcd');
    assert.match(refused.etcdMessage ?? '', /learner/);
    assert.ok(refused.status !== undefined && refused.status >= 400);

    const left = await client.memberRemove(added.member.id);
    assert.deepEqual(left.map((m) => m.name), ['m1']);
    assert.equal((await client.memberList()).length, 1);
  });

  test('etcd errors come back as kind "etcd" with etcd\'s message', async () => {
    const e = await rejectsKind(client.memberRemove('123abc'), 'etcd');
    assert.equal(e.etcdMessage, 'etcdserver: member not found');
    assert.equal(e.status, 404);
    assert.equal(e.grpcCode, 5);
    await assert.rejects(client.memberRemove('not-hex'), (err: unknown) => err instanceof LabError && err.code === 'USAGE');
  });

  test('peerVersion: etcd on the peer port, null where nothing listens', async () => {
    assert.deepEqual(await EtcdClient.peerVersion(peerURL, 1000), { etcdserver: (await client.status()).version, etcdcluster: CLUSTER_VERSION });
    assert.equal(await EtcdClient.peerVersion(`http://127.0.0.1:${base + 51}`, 1000), null);
  });

  test('nothing listening: kind "refused", quickly', async () => {
    const nobody = new EtcdClient(`http://127.0.0.1:${base + 50}`);
    try {
      const [e, ms] = await timed(() => rejectsKind(nobody.status(), 'refused'));
      assert.ok(e.noAnswer);
      // A refusal is an answer: it does not wait for the timeout.
      assert.ok(ms < TIMEOUT_MARGIN_MS, `took ${ms} ms`);
    } finally {
      nobody.close();
    }
  });

  test('a paused (SIGSTOPped) member: kind "timeout" within the bound; abort; answers again after SIGCONT', async () => {
    const pid = child!.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await waitStopped(pid);
      const [e, ms] = await timed(() => rejectsKind(client.status({ timeoutMs: 400 }), 'timeout'));
      assert.ok(e.noAnswer);
      assert.ok(ms >= 390 && ms < 400 + TIMEOUT_MARGIN_MS, `took ${ms} ms`);

      const fresh = new EtcdClient(clientURL, { timeoutMs: 300 }); // default bound from the constructor, new socket
      try {
        const [, ms2] = await timed(() => rejectsKind(fresh.health(), 'timeout'));
        assert.ok(ms2 >= 290 && ms2 < 300 + TIMEOUT_MARGIN_MS, `took ${ms2} ms`);
      } finally {
        fresh.close();
      }

      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const [, ms3] = await timed(() => rejectsKind(client.get('lab/a', { signal: ac.signal, timeoutMs: 5000 }), 'aborted'));
      assert.ok(ms3 < 100 + TIMEOUT_MARGIN_MS, `took ${ms3} ms`);
      await rejectsKind(client.status({ signal: AbortSignal.abort() }), 'aborted');
      assert.equal(await EtcdClient.peerVersion(peerURL, 300), null);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        assert.equal((await client.get('lab/a', { timeoutMs: 500 })).value, '1');
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  });

  // Last: it leaves the member without quorum for good.
  test('a member without quorum: status has no leader and the error, health is false, put gets no answer', async () => {
    await client.memberAdd([`http://127.0.0.1:${base + 20}`]); // a voter that never starts: 1 of 2 up
    const deadline = Date.now() + 5000;
    let st = await client.status();
    while (st.leader !== null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      st = await client.status();
    }
    assert.equal(st.leader, null);
    assert.deepEqual(st.errors, ['etcdserver: no leader']);
    assert.equal((await client.health()).healthy, false);
    assert.equal((await client.get('lab/a', { serializable: true })).value, '1');
    const put = await client.put('lab/c', 'x', { timeoutMs: 300 }).then(
      (r) => `answered ${JSON.stringify(r)}`,
      (e: unknown) => (e instanceof EtcdRequestError ? e.kind : String(e)),
    );
    const raftLines = logLines.filter((l) => l.includes('raft')).slice(-15);
    assert.equal(put, 'timeout', `put without quorum: ${put}; last raft lines:\n${raftLines.join('\n')}`);
  });
});

describe('EtcdClient against odd HTTP answers', () => {
  let server: Server;
  let url = '';

  before(async () => {
    const port = (await claimPorts()) + 1;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/v3/maintenance/status') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"error":"etcdserver: no leader","code":14,"message":"etcdserver: no leader"}');
        } else if (req.url === '/v3/kv/put') {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('Bad Gateway');
        } else if (req.url === '/v3/kv/range') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('not json');
        } else if (req.url === '/health') {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end('{"health":"false","reason":"RAFT NO LEADER"}');
        } else {
          res.writeHead(404);
          res.end('Not Found');
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('200 with a gateway error body is an etcd error', async () => {
    const c = new EtcdClient(url);
    try {
      const e = await rejectsKind(c.status(), 'etcd');
      assert.equal(e.etcdMessage, 'etcdserver: no leader');
      assert.equal(e.grpcCode, 14);
      assert.equal(e.status, 200);
      assert.equal(e.noAnswer, false);
    } finally {
      c.close();
    }
  });

  test('non-etcd answers are kind "http"', async () => {
    const c = new EtcdClient(`${url}/`);
    try {
      assert.equal((await rejectsKind(c.put('k', 'v'), 'http')).status, 502);
      assert.equal((await rejectsKind(c.get('k'), 'http')).status, 200);
      assert.equal((await rejectsKind(c.hash(), 'http')).status, 404);
      await rejectsKind(EtcdClient.peerVersion(url, 500), 'http');
    } finally {
      c.close();
    }
  });

  test('an unhealthy 503 /health is an answer with its reason (3.5 style)', async () => {
    const c = new EtcdClient(url);
    try {
      assert.deepEqual(await c.health(), { healthy: false, reason: 'RAFT NO LEADER' });
    } finally {
      c.close();
    }
  });

  test('a keep-alive socket the server dropped: reads retry once on a new socket, writes do not', async () => {
    // Answers the first request of each connection, then drops the connection on the next one.
    const served = new WeakSet<object>();
    const dropper = createServer((req, res) => {
      req.resume();
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"header":{"revision":"7"},"hash":42}');
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const { port } = dropper.address() as { port: number };
    const c = new EtcdClient(`http://127.0.0.1:${port}`);
    try {
      assert.deepEqual(await c.hash(), { hash: '42', revision: '7' });
      assert.deepEqual(await c.hash(), { hash: '42', revision: '7' }); // dropped, retried
      await rejectsKind(c.put('k', 'v'), 'network'); // second request on the new socket: dropped, not retried
      assert.deepEqual(await c.put('k', 'v'), { revision: '7' }); // fresh socket
    } finally {
      c.close();
      dropper.closeAllConnections();
      await new Promise((r) => dropper.close(r));
    }
  });

  test('a bad endpoint is a usage error', () => {
    assert.throws(() => new EtcdClient('127.0.0.1:2379'), (e: unknown) => e instanceof LabError && e.code === 'USAGE');
    assert.throws(() => new EtcdClient('not a url'), (e: unknown) => e instanceof LabError && e.code === 'USAGE');
  });
});
