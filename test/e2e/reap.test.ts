import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, processesMentioning, waitNoProcesses } from '../helpers/procs.js';
import { findStaleMembers, reapStale } from '../../src/supervisor/reap.js';
import { statePaths, writeState } from '../../src/supervisor/state-dir.js';
import { pidAlive, processStartToken } from '../../src/supervisor/proc-info.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const ETCD = ETCD_PATH;
const base = mkdtempSync(join(tmpdir(), 'etcd-lab-reap-'));
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
  killMentioning(base);
  const left = await waitNoProcesses(base, 5000);
  rmSync(base, { recursive: true, force: true });
  assert.deepEqual(left, [], 'processes survived the test');
});

function startEtcd(name: string, dataDirArg: string[], port: number, cwd: string): { child: ChildProcess; log: () => string } {
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${port + 1}`;
  const child = spawn(
    ETCD,
    [
      '--name', name,
      ...dataDirArg,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${name}=${peer}`,
      '--heartbeat-interval', '10', '--election-timeout', '100',
      '--logger=zap', '--log-outputs=stderr',
    ],
    { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  return { child, log: () => log };
}

async function waitHealthy(port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
      if (r.ok && ((await r.json()) as { health?: string }).health === 'true') return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`etcd on ${port} did not become healthy:\n${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('reapStale stops our orphaned etcd members and nothing else', async () => {
  const port = await claimPorts();
  const dir = join(base, 'lab');
  const paths = statePaths(dir);
  mkdirSync(paths.data, { recursive: true });

  // m1: listed in state.json, relative --data-dir (resolved against its own cwd).
  const m1 = startEtcd('m1', ['--data-dir', 'data/m1'], port, dir);
  // x2: not in state.json (supervisor died before writing it), `--data-dir=` form; paused, so SIGTERM cannot stop it.
  const x2 = startEtcd('x2', [`--data-dir=${join(paths.data, 'x2')}`], port + 10, dir);
  // o1: an etcd of a neighbouring folder whose name merely starts with "data": not ours.
  const o1 = startEtcd('o1', ['--data-dir', join(dir, 'data2', 'o1')], port + 20, dir);
  // A pid from state.json that is not etcd at all, though its command line mentions our data dir.
  const impostor = spawn('sh', ['-c', 'sleep 30; :', 'sh', '--data-dir', join(paths.data, 'm2')], { stdio: 'ignore', detached: true });
  children.push(impostor);

  await Promise.all([waitHealthy(port, m1.log), waitHealthy(port + 10, x2.log), waitHealthy(port + 20, o1.log)]);
  writeState(dir, {
    version: 1,
    supervisorPid: 999_999_999,
    startedAt: new Date().toISOString(),
    etcdPath: ETCD,
    etcdVersion: ETCD_VERSION.text,
    chaos: false,
    members: [
      { name: 'm1', pid: m1.child.pid!, clientPort: port, peerPort: port + 1, proxyPort: null },
      { name: 'm2', pid: impostor.pid!, clientPort: port + 2, peerPort: port + 3, proxyPort: null },
      { name: 'm3', pid: null, clientPort: port + 4, peerPort: port + 5, proxyPort: null },
    ],
  });

  const stale = findStaleMembers(dir);
  assert.deepEqual(
    stale.map((s) => [s.name, s.pid, s.from, s.dataDir]).sort(),
    [
      ['m1', m1.child.pid, 'state', join(paths.data, 'm1')],
      ['x2', x2.child.pid, 'scan', join(paths.data, 'x2')],
    ].sort(),
  );

  // While another live supervisor owns the dir, nothing is touched.
  writeFileSync(paths.lock, JSON.stringify({ pid: impostor.pid, startedAt: new Date().toISOString(), start: processStartToken(impostor.pid!) }));
  await assert.rejects(reapStale(dir, { graceMs: 300 }), { code: 'DIR_IN_USE' });
  assert.ok(pidAlive(m1.child.pid!));
  unlinkSync(paths.lock);

  process.kill(x2.child.pid!, 'SIGSTOP');
  const t0 = Date.now();
  // A grace a busy machine's etcd still exits within on SIGTERM (m1); the stopped x2 takes all of it, then SIGKILL.
  const reaped = await reapStale(dir, { graceMs: 2000 });
  const took = Date.now() - t0;
  assert.deepEqual(
    reaped.map((r) => [r.name, r.pid, r.outcome]).sort(),
    [
      ['m1', m1.child.pid, 'terminated'],
      ['x2', x2.child.pid, 'killed'],
    ].sort(),
  );
  assert.ok(took < 2000 + 3000, `reap took ${took} ms`);
  assert.equal(pidAlive(m1.child.pid!), false);
  assert.equal(pidAlive(x2.child.pid!), false);
  assert.equal(pidAlive(o1.child.pid!), true, 'the etcd of another folder was killed');
  assert.equal(pidAlive(impostor.pid!), true, 'a non-etcd process with a pid from state.json was killed');
  assert.deepEqual(findStaleMembers(dir), []);
  assert.deepEqual(await reapStale(dir, { graceMs: 500 }), []);
  assert.deepEqual(processesMentioning(paths.data + '/').map((p) => p.pid), [impostor.pid]);

  process.kill(-o1.child.pid!, 'SIGKILL');
  process.kill(-impostor.pid!, 'SIGKILL');
});

test('findStaleMembers on a dir with no state and no processes is empty', () => {
  assert.deepEqual(findStaleMembers(join(base, 'empty')), []);
});

test("a member whose data folder was deleted under it: a start's check (if-data) does not scan for it, down's (always) does", async () => {
  const dir = join(base, 'deleted-data');
  const paths = statePaths(dir);
  mkdirSync(paths.data, { recursive: true });
  const port = await claimPorts();
  const m = startEtcd('gone', ['--data-dir', join(paths.data, 'gone')], port, dir);
  await waitHealthy(port, m.log);
  const found = (scan: 'always' | 'if-data'): unknown[] => findStaleMembers(dir, scan).map((s) => [s.pid, s.from]);
  assert.deepEqual(found('if-data'), [[m.child.pid, 'scan']]);
  // etcd runs on from its open files.
  rmSync(paths.data, { recursive: true, force: true });
  assert.deepEqual(found('if-data'), []);
  assert.deepEqual(found('always'), [[m.child.pid, 'scan']]);
  // A grace a busy machine's etcd still exits within on SIGTERM (m1); the stopped x2 takes all of it, then SIGKILL.
  const reaped = await reapStale(dir, { graceMs: 2000 });
  assert.deepEqual(reaped.map((r) => r.pid), [m.child.pid]);
  assert.equal(pidAlive(m.child.pid!), false);
});
