import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEtcdVersion, scrubEtcdEnv } from '../../../src/etcd/binary.js';
import { prefetchVersion } from '../../../src/etcd/run-capture.js';
import { earlyEtcdPath } from '../../../src/cli/up-early.js';

/** A stand-in etcd that counts its runs. */
function fakeEtcd(dir: string, version: string): { path: string; runs: () => number } {
  const path = join(dir, `etcd-${version}`);
  const count = join(dir, `runs-${version}`);
  writeFileSync(count, '');
  writeFileSync(path, `#!/bin/sh\necho run >> '${count}'\necho 'etcd Version: ${version}'\necho 'Git SHA: x'\n`);
  chmodSync(path, 0o755);
  return { path, runs: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
}

test('a prefetched `etcd --version` is what the later read of the same binary uses: it runs once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-prefetch-'));
  try {
    const a = fakeEtcd(dir, '3.4.23');
    prefetchVersion(a.path, scrubEtcdEnv(process.env), 5000);
    assert.equal((await readEtcdVersion(a.path)).text, '3.4.23');
    assert.equal(a.runs(), 1);
    // taken once: the next read runs the binary again
    assert.equal((await readEtcdVersion(a.path)).text, '3.4.23');
    assert.equal(a.runs(), 2);
    // another binary than the prefetched one is run itself; a read in another environment does not take the prefetch
    const b = fakeEtcd(dir, '3.5.30');
    prefetchVersion(b.path, scrubEtcdEnv(process.env), 5000);
    assert.equal((await readEtcdVersion(b.path, { env: { ...process.env } })).text, '3.5.30');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.runs(), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('earlyEtcdPath: --etcd, then ETCD_BIN, then PATH; nothing for other commands or help', () => {
  const env = { PATH: '/nonexistent', ETCD_BIN: '/opt/etcd/etcd' };
  assert.equal(earlyEtcdPath(['up', '--etcd', '/x/etcd'], env), '/x/etcd');
  assert.equal(earlyEtcdPath(['up', '-d', '--etcd=/y/etcd'], env), '/y/etcd');
  assert.equal(earlyEtcdPath(['up', '-d'], env), '/opt/etcd/etcd');
  assert.equal(earlyEtcdPath(['up'], { PATH: '/nonexistent' }), null);
  assert.equal(earlyEtcdPath(['up', '--help'], env), null);
  assert.equal(earlyEtcdPath(['status'], env), null);
});
