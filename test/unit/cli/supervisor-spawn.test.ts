import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCreated } from '../../../src/cli/supervisor-spawn.js';

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-spawn-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The state dir `root` with its supervisor.log, as a spawn leaves them. */
function spawned(root: string, createdFrom: string | null, createdLog = true) {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'supervisor.log'), '');
  return { root, createdFrom, createdLog, supervisorLog: join(root, 'supervisor.log') };
}

test('removeCreated: the state dir and the parents the spawn created go, up to the outermost one', () => {
  withTemp((t) => {
    removeCreated(spawned(join(t, 'a', 'b', 'lab'), join(t, 'a')));
    assert.deepEqual(readdirSync(t), []);
  });
});

test('removeCreated: a folder written to meanwhile stays, with what is in it', () => {
  withTemp((t) => {
    const s = spawned(join(t, 'a', 'b', 'lab'), join(t, 'a'));
    writeFileSync(join(t, 'a', 'other.txt'), 'x');
    removeCreated(s);
    assert.deepEqual(readdirSync(join(t, 'a')), ['other.txt']);
  });
});

test('removeCreated: a state dir it found keeps itself; the log goes only when the spawn created it', () => {
  withTemp((t) => {
    removeCreated(spawned(join(t, 'found'), null));
    assert.deepEqual(readdirSync(join(t, 'found')), []);
    removeCreated(spawned(join(t, 'had-log'), null, false));
    assert.deepEqual(readdirSync(join(t, 'had-log')), ['supervisor.log']);
  });
});

test('removeCreated: a created-from that is not the state dir or above it removes the state dir alone', () => {
  withTemp((t) => {
    mkdirSync(join(t, 'elsewhere'));
    removeCreated(spawned(join(t, 'p', 'lab'), join(t, 'elsewhere')));
    assert.ok(existsSync(join(t, 'p')) && existsSync(join(t, 'elsewhere')));
    assert.ok(!existsSync(join(t, 'p', 'lab')));
  });
});
