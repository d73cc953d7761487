// The state dir's files: paths, atomic JSON writes, state.json. (Locks, which need other processes: test/e2e/state.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LabError } from '../../../src/errors.js';
import { acquireLock, checkStateDir, readJson, readState, statePaths, writeJsonAtomic, writeState, type SupervisorState } from '../../../src/supervisor/state-dir.js';

const base = mkdtempSync(join(tmpdir(), 'etcd-lab-state-unit-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(base, `d${++n}`);

test('statePaths are absolute and fixed', () => {
  const rel = relative(process.cwd(), join(base, 'x'));
  const p = statePaths(rel);
  assert.equal(p.root, join(base, 'x'));
  assert.equal(p.plan, join(base, 'x', 'plan.json'));
  assert.equal(p.state, join(base, 'x', 'state.json'));
  assert.equal(p.sock, join(base, 'x', 'control.sock'));
  assert.equal(p.logs, join(base, 'x', 'logs'));
  assert.equal(p.data, join(base, 'x', 'data'));
  assert.equal(p.supervisorLog, join(base, 'x', 'supervisor.log'));
  assert.equal(p.lock, join(base, 'x', 'supervisor.lock'));
});

test('writeJsonAtomic replaces the file, leaves no temp file, honours the mode', () => {
  const dir = mkdtempSync(join(base, 'atomic-'));
  const file = join(dir, 'plan.json');
  writeJsonAtomic(file, { a: 1 });
  writeJsonAtomic(file, { a: 2, nested: [1, 2] }, { mode: 0o600, durable: false });
  assert.deepEqual(readJson(file), { a: 2, nested: [1, 2] });
  assert.deepEqual(readdirSync(dir), ['plan.json']);
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('writeJsonAtomic that fails leaves the old file and no temp file', () => {
  const dir = mkdtempSync(join(base, 'atomic-fail-'));
  const file = join(dir, 'state.json');
  writeJsonAtomic(file, { ok: true });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => writeJsonAtomic(file, cyclic), TypeError);
  assert.deepEqual(readJson(file), { ok: true });
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('readJson: missing file keeps ENOENT, broken JSON is DIR_MISMATCH', () => {
  const dir = mkdtempSync(join(base, 'read-'));
  assert.throws(() => readJson(join(dir, 'nope.json')), { code: 'ENOENT' });
  writeFileSync(join(dir, 'bad.json'), '{"half":');
  assert.throws(() => readJson(join(dir, 'bad.json')), (e: unknown) => e instanceof LabError && e.code === 'DIR_MISMATCH' && e.message.includes('bad.json'));
});

test('state.json round trip; null when absent; foreign version refused', () => {
  const dir = freshDir();
  assert.equal(readState(dir), null);
  const state: SupervisorState = {
    version: 1,
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    etcdPath: '/usr/bin/etcd',
    etcdVersion: '3.4.23',
    chaos: true,
    members: [{ name: 'm1', pid: 123, clientPort: 2379, peerPort: 2380, proxyPort: 2381 }],
  };
  acquireLock(dir).release(); // creates the dir
  writeState(dir, state);
  assert.deepEqual(readState(dir), state);
  writeFileSync(statePaths(dir).state, JSON.stringify({ ...state, version: 2 }));
  assert.throws(() => readState(dir), { code: 'DIR_MISMATCH' });
});

test('checkStateDir: a folder or a path not made yet passes; a file, or a path under one, is USAGE naming it', () => {
  const dir = mkdtempSync(join(base, 'check-'));
  const file = join(dir, 'f');
  writeFileSync(file, 'x');
  checkStateDir(dir);
  checkStateDir(join(dir, 'not', 'yet'));
  assert.throws(() => checkStateDir(file), (e: unknown) => e instanceof LabError && e.code === 'USAGE' && e.message.includes(`${file} is a file, not a folder`) && e.exitCode === 2);
  assert.throws(() => checkStateDir(join(file, 'a', 'b')), (e: unknown) => e instanceof LabError && e.message.includes(`would lie under ${file}, which is a file`));
});
