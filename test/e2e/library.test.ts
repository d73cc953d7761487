// The library API: startCluster() from a Node program, and nothing left behind when that program ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type LabCluster } from '../../src/index.js';
import { waitNoProcesses, killMentioning } from '../helpers/procs.js';
import { claimPorts } from '../helpers/ports.js';

/**
 * The leader and its term, from one status snapshot; waits (bounded) until a leader is known that is not `not` and
 * whose term is later than `after`. etcd reports the term of the last entry a member applied, so a leader just
 * elected shows its predecessor's term until its first entry commits: the later term comes within a heartbeat or two.
 */
async function leaderAndTerm(c: LabCluster, want: { not?: string; after?: bigint } = {}): Promise<{ leader: string; term: bigint }> {
  const deadline = Date.now() + 10_000;
  let last = 'no status';
  for (;;) {
    const s = await c.status();
    if (s.leader && s.leader !== want.not && s.leaderTerm) {
      const term = BigInt(s.leaderTerm);
      if (want.after === undefined || term > want.after) return { leader: s.leader, term };
      last = `${s.leader} in term ${term}`;
    } else last = `leader ${s.leader ?? 'none'}`;
    assert.ok(Date.now() < deadline, `no leader${want.not ? ` other than ${want.not}` : ''}${want.after === undefined ? '' : ` in a term later than ${want.after}`} within 10 s (last: ${last})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('startCluster gives a handle whose faults and stop work; stop removes its temp dir', { timeout: 60_000 }, async () => {
  const c = await startCluster({ nodes: 3, ports: await claimPorts() });
  const dir = c.dir;
  try {
    assert.equal(c.endpoints.length, 3);
    // Counted from the call: planning (etcd --version, ports) came before the supervisor's start.
    assert.ok(c.ready.elapsedMs > c.ready.supervisorMs, `ready ${JSON.stringify(c.ready)}`);
    assert.ok(c.members.some((m) => m.name === c.ready.leader), `ready.leader ${c.ready.leader} is not a member`);
    const first = await c.waitForLeader();
    assert.ok(c.members.some((m) => m.name === first), `${first} is not a member`);
    const { leader, term: oldTerm } = await leaderAndTerm(c);
    const r = await c.isolate(leader);
    assert.deepEqual(r.members, [leader]);
    const next = await c.waitForLeader({ not: leader });
    assert.ok(c.members.some((m) => m.name === next && m.name !== leader), `${next} is not one of the others`);
    // Raft allows one leader per term: the new leader's term comes after the isolated one's.
    await leaderAndTerm(c, { not: leader, after: oldTerm });
    // Cut off, the old leader is not healthy: the wait says which member waits for what.
    await assert.rejects(c.waitHealthy({ timeoutMs: 1000 }), (e: Error) => e.message.includes('not healthy within 1000 ms') && e.message.includes(`${leader} waits for`));
    await c.heal();
    // Healed, the old leader serves again once it has heard the new one; until then a request to it may time out.
    const settled = await c.waitHealthy();
    assert.ok(c.members.some((m) => m.name === settled), `${settled} is not a member`);
    assert.ok(c.members.every((m) => m.clientURL.startsWith('http://127.0.0.1:')));
    // Operations through registerClient() are recorded, in the checker's terms.
    // Limits a busy machine cannot reach (the default, 1 s, would record a slow answer as unknown).
    const any = c.registerClient({ timeoutMs: 10_000 });
    const one = c.registerClient({ member: 'm2', name: 'reader', timeoutMs: 10_000 });
    assert.equal((await any.put('lib/k', 'a')).outcome, 'ok');
    assert.deepEqual((await any.cas('lib/k', 'a', 'b')).output, { f: 'cas', succeeded: true });
    assert.deepEqual((await any.cas('lib/k', null, 'c')).output, { f: 'cas', succeeded: false });
    assert.deepEqual((await one.get('lib/k')).output, { f: 'get', value: 'b' });
    assert.deepEqual(c.history().map((o) => [o.client, o.member, o.input.f, o.outcome]), [['c1', 'cluster', 'put', 'ok'], ['c1', 'cluster', 'cas', 'ok'], ['c1', 'cluster', 'cas', 'ok'], ['reader', 'm2', 'get', 'ok']]);
    assert.throws(() => c.registerClient({ member: 'm9' }), /there is no member "m9"/);
  } finally {
    await c.stop();
  }
  assert.deepEqual(await waitNoProcesses(dir, 5000), []);
  assert.equal(existsSync(dir), false);
});

test('a program that ends without stop() leaves no etcd behind', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'etcd-lab-lib-'));
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const script = `
    import { startCluster } from ${JSON.stringify(index)};
    const c = await startCluster({ nodes: 3, dir: ${JSON.stringify(join(work, 'state'))}, ports: ${await claimPorts()} });
    console.log(c.endpoints.join(','));
    process.exit(0);
  `;
  try {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^http:\/\/127\.0\.0\.1:\d+,/);
    assert.deepEqual(await waitNoProcesses(work, 5000), []);
  } finally {
    killMentioning(work);
    rmSync(work, { recursive: true, force: true });
  }
});
