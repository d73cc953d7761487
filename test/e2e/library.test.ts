// The library API: startCluster() from a Node program, and nothing left behind when that program ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../src/index.js';
import { waitNoProcesses, killMentioning } from '../helpers/procs.js';
import { claimPorts } from '../helpers/ports.js';

function termOf(s: { members: { name: string; raftTerm: string | null }[] }, name: string): bigint {
  const t = s.members.find((m) => m.name === name)?.raftTerm;
  assert.ok(t, `${name} reports no term`);
  return BigInt(t);
}

test('startCluster gives a handle whose faults and stop work; stop removes its temp dir', { timeout: 60_000 }, async () => {
  const c = await startCluster({ nodes: 3, ports: await claimPorts() });
  const dir = c.dir;
  try {
    assert.equal(c.endpoints.length, 3);
    const leader = await c.waitForLeader();
    const oldTerm = termOf(await c.status(), leader);
    const r = await c.isolate(leader);
    assert.deepEqual(r.members, [leader]);
    const next = await c.waitForLeader({ not: leader });
    // One of the other two won an election: it is in a later term than the isolated leader was.
    assert.ok(c.members.some((m) => m.name === next && m.name !== leader), `${next} is not one of the others`);
    assert.ok(termOf(await c.status(), next) > oldTerm, 'the new leader is not in a later term');
    await c.heal();
    assert.ok(c.members.every((m) => m.clientURL.startsWith('http://127.0.0.1:')));
    // Operations through registerClient() are recorded, in the checker's terms.
    const any = c.registerClient();
    const one = c.registerClient({ member: 'm2', name: 'reader' });
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
