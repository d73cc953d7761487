// The exported Procfile, run by a Procfile runner no one here wrote (Debian's ruby-foreman), forms a healthy cluster.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { runCli } from '../helpers/cli.js';
import { waitForAgreedLeader } from '../helpers/cluster-check.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';

const hasForeman = spawnSync('foreman', ['version']).status === 0;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) {
    killMentioning(d);
    rmSync(d, { recursive: true, force: true });
  }
});

async function runUnderForeman(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `etcd-lab-foreman${n}-`));
  dirs.push(dir);
  const base = await claimPorts();
  const r = await runCli(['procfile', '-n', String(n), '--ports', String(base), '--dir', 'state', '--name-prefix', 'infra', '-o', 'Procfile'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  // Names with spaces survive sh -c quoting.
  const foreman = spawn('foreman', ['start', '-f', 'Procfile', '-d', dir], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  foreman.stdout!.on('data', (d) => (out += d));
  foreman.stderr!.on('data', (d) => (out += d));
  try {
    const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${base + 2 * i}`);
    const { view, leaderId } = await waitForAgreedLeader(urls, 30000).catch((e) => {
      throw new Error(`${(e as Error).message}\nforeman output:\n${out.slice(-3000)}`);
    });
    assert.equal(view.healthy.filter(Boolean).length, n);
    assert.ok(view.memberIds.includes(leaderId));
    assert.match(out, /infra1/);
  } finally {
    try {
      process.kill(-foreman.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    const left = await waitNoProcesses(dir, 15000);
    if (left.length > 0) killMentioning(dir);
    assert.deepEqual(left, [], 'no etcd or foreman process may survive');
  }
}

test('a 3-member Procfile runs under foreman to a healthy cluster with one leader', { skip: !hasForeman && 'foreman not installed' }, async () => {
  await runUnderForeman(3);
});

test('a 5-member Procfile runs under foreman to a healthy cluster with one leader', { skip: !hasForeman && 'foreman not installed' }, async () => {
  await runUnderForeman(5);
});

test('procfile refuses an even member count with exit 2 and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-even-'));
  dirs.push(dir);
  const r = await runCli(['procfile', '-n', '4', '-o', 'Procfile'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /4 members tolerate 1 failure, the same as 3, and a 2\|2 partition leaves no majority; use 3 or 5, or pass --allow-even to demonstrate exactly that/);
  assert.equal(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout, '');
});

test('procfile -o into a folder that does not exist, or onto a folder: exit 2 saying which and what to do, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-pf-o-'));
  dirs.push(dir);
  const base = await claimPorts();
  const missing = await runCli(['procfile', '--ports', String(base), '-o', join(dir, 'nodir', 'Procfile')], { cwd: dir });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, new RegExp(`error: cannot write .*nodir/Procfile: the folder ${dir}/nodir does not exist\nhint: create it first: mkdir -p ${dir}/nodir`));
  mkdirSync(join(dir, 'pf'));
  for (const extra of [[], ['--force']]) {
    const onFolder = await runCli(['procfile', '--ports', String(base), '-o', join(dir, 'pf'), ...extra], { cwd: dir });
    assert.equal(onFolder.code, 2, onFolder.stderr);
    assert.match(onFolder.stderr, new RegExp(`error: cannot write ${dir}/pf: it is a folder\nhint: give a file name, e.g. -o ${dir}/pf/Procfile`));
  }
  assert.deepEqual(readdirSync(dir), ['pf']);
  assert.deepEqual(readdirSync(join(dir, 'pf')), []);
});

test('procfile refuses to overwrite without --force, and names a port in use', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-pf-'));
  dirs.push(dir);
  const base = await claimPorts();
  writeFileSync(join(dir, 'Procfile'), 'keep: me\n');
  const r1 = await runCli(['procfile', '--ports', String(base), '-o', 'Procfile'], { cwd: dir });
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /Procfile already exists/);
  assert.match(r1.stderr, /--force/);
  const r2 = await runCli(['procfile', '--ports', String(base), '-o', 'Procfile', '--force'], { cwd: dir });
  assert.equal(r2.code, 0, r2.stderr);
  const { createServer } = await import('node:net');
  const srv = createServer().listen(base + 3, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  try {
    const r3 = await runCli(['procfile', '--ports', String(base)], { cwd: dir });
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, new RegExp(`m2 peer port ${base + 3}`));
  } finally {
    srv.close();
  }
});
