import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, utimesSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { acquireLock, liveSupervisor, statePaths } from '../../src/supervisor/state-dir.js';
import { processStartToken } from '../../src/supervisor/proc-info.js';
import { untilTrue } from '../helpers/until.js';

const base = mkdtempSync(join(tmpdir(), 'etcd-lab-state-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
const freshDir = () => join(base, `d${++n}`);

function deadPid(): number {
  const r = spawnSync('true');
  assert.ok(r.pid);
  return r.pid;
}

test('a held lock refuses with DIR_IN_USE naming the pid; release frees it', () => {
  const dir = freshDir();
  const lock = acquireLock(dir);
  assert.equal(lock.pid, process.pid);
  assert.deepEqual(liveSupervisor(dir), { pid: process.pid, startedAt: lock.startedAt });
  assert.throws(
    () => acquireLock(dir),
    (e: unknown) =>
      e instanceof LabError &&
      e.code === 'DIR_IN_USE' &&
      e.message.startsWith(`${dir} is in use by etcd-lab supervisor pid ${process.pid} (started `) &&
      /\(started \d\d:\d\d:\d\d\)$/.test(e.message) &&
      (e.hint ?? '').includes(`etcd-lab down --dir ${dir}`),
  );
  lock.release();
  lock.release();
  assert.equal(existsSync(statePaths(dir).lock), false);
  assert.equal(liveSupervisor(dir), null);
  acquireLock(dir).release();
});

test('release does not remove a lock that is no longer ours', () => {
  const dir = freshDir();
  const lock = acquireLock(dir);
  const other = JSON.stringify({ pid: process.pid, startedAt: 'x', start: 'someone-else' });
  writeFileSync(statePaths(dir).lock, other);
  lock.release();
  assert.equal(readFileSync(statePaths(dir).lock, 'utf8'), other);
});

test('a lock of a dead pid is taken over', () => {
  const dir = freshDir();
  acquireLock(dir).release();
  const pid = deadPid();
  writeFileSync(statePaths(dir).lock, JSON.stringify({ pid, startedAt: new Date().toISOString(), start: 'stat:1' }));
  assert.equal(liveSupervisor(dir), null);
  const lock = acquireLock(dir);
  assert.equal(JSON.parse(readFileSync(statePaths(dir).lock, 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock whose live pid is another program is taken over (plain pid or a different start token)', async () => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(sleeper);
  await untilTrue(() => processStartToken(sleeper.pid!) !== null, 'the sleeper to have a start token');
  const dir = freshDir();
  acquireLock(dir).release();
  const lockFile = statePaths(dir).lock;

  writeFileSync(lockFile, `${sleeper.pid}\n`);
  assert.equal(liveSupervisor(dir), null);
  acquireLock(dir).release();

  writeFileSync(lockFile, JSON.stringify({ pid: sleeper.pid, startedAt: 'x', start: 'stat:1' }));
  assert.equal(liveSupervisor(dir), null);
  acquireLock(dir).release();

  // The same pid with its real start token is the holder itself: live.
  writeFileSync(lockFile, JSON.stringify({ pid: sleeper.pid, startedAt: new Date().toISOString(), start: processStartToken(sleeper.pid!) }));
  assert.equal(liveSupervisor(dir)?.pid, sleeper.pid);
  assert.throws(() => acquireLock(dir), { code: 'DIR_IN_USE' });
  sleeper.kill('SIGKILL');
  await untilTrue(() => liveSupervisor(dir) === null, 'no live supervisor');
  acquireLock(dir).release();
});

test('a lock held by another process is refused until that process dies', async () => {
  const dir = freshDir();
  const script = `
    import { acquireLock } from ${JSON.stringify(new URL('../../src/supervisor/state-dir.ts', import.meta.url).href)};
    acquireLock(${JSON.stringify(dir)});
    console.log('locked');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await untilTrue(() => out.includes('locked'), 'the holder to say locked', 15_000);

  assert.equal(liveSupervisor(dir)?.pid, child.pid);
  assert.throws(() => acquireLock(dir), (e: unknown) => e instanceof LabError && e.code === 'DIR_IN_USE' && e.message.includes(`pid ${child.pid} `));
  child.kill('SIGKILL');
  await untilTrue(() => liveSupervisor(dir) === null, 'no live supervisor');
  const lock = acquireLock(dir);
  assert.equal(liveSupervisor(dir)?.pid, process.pid);
  lock.release();
});

test('a stale lock is broken under a breaker file; a breaker abandoned by a dead process does not block forever', () => {
  const dir = freshDir();
  acquireLock(dir).release();
  const lockPath = statePaths(dir).lock;
  const breaker = `${lockPath}.break`;
  writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), startedAt: 'x', start: 'stat:1' }));
  // a breaker in use right now: the stale lock is left alone and the taker gives up after its retries
  writeFileSync(breaker, '1\n');
  assert.throws(() => acquireLock(dir), (e: unknown) => e instanceof LabError && e.code === 'DIR_IN_USE' && /keep taking it/.test(e.message));
  assert.ok(existsSync(lockPath));
  // the same breaker, 20 s old: its process died inside the break; it is cleared and the stale lock taken
  const old = new Date(Date.now() - 20_000);
  utimesSync(breaker, old, old);
  const lock = acquireLock(dir);
  assert.equal(liveSupervisor(dir)?.pid, process.pid);
  assert.ok(!existsSync(breaker));
  lock.release();
});

test('processes racing for a stale lock: exactly one wins', async () => {
  const dir = freshDir();
  acquireLock(dir).release();
  writeFileSync(statePaths(dir).lock, JSON.stringify({ pid: deadPid(), startedAt: 'x', start: 'stat:1' }));
  const goAt = Date.now() + 1500;
  const script = `
    import { acquireLock } from ${JSON.stringify(new URL('../../src/supervisor/state-dir.ts', import.meta.url).href)};
    while (Date.now() < ${goAt}) {}
    try { acquireLock(${JSON.stringify(dir)}); console.log('won'); } catch (e) { console.log(e.code); }
    process.stdin.on('end', () => process.exit(0)).resume();
  `;
  // Every child holds on (the winner keeps its lock) until all have answered: a child that starts late on a busy
  // machine must find the winner alive, not a lock its exited holder left stale.
  const racers = Array.from({ length: 6 }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    return { child, answer: () => out.trim() };
  });
  await untilTrue(() => racers.every((r) => r.answer() !== ''), 'every racer to answer', 30_000);
  const outs = racers.map((r) => r.answer());
  for (const r of racers) r.child.stdin!.end();
  assert.equal(outs.filter((o) => o === 'won').length, 1, outs.join(','));
  assert.equal(outs.filter((o) => o === 'DIR_IN_USE').length, 5, outs.join(','));
});
