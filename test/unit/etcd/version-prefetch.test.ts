import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEtcdVersion, scrubEtcdEnv } from '../../../src/etcd/binary.js';
import { prefetchVersion } from '../../../src/etcd/run-capture.js';
import { VERSION_CACHE_FILE, versionCacheKey } from '../../../src/etcd/version-cache.js';
import { earlyEtcdPath } from '../../../src/cli/up-scan.js';
import { until } from '../../helpers/until.js';

/** A stand-in etcd that counts its runs. */
function fakeEtcd(dir: string, version: string): { path: string; runs: () => number } {
  const path = join(dir, `etcd-${version}`);
  const count = join(dir, `runs-${version}`);
  writeFileSync(count, '');
  writeFileSync(path, `#!/bin/sh\necho run >> '${count}'\necho 'etcd Version: ${version}'\necho 'Git SHA: x'\n`);
  chmodSync(path, 0o755);
  return { path, runs: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
}

/** Runs `body` with the cache root in a temp dir (the reads below use this process's own environment). */
async function withCacheIn(dir: string, body: () => Promise<void>): Promise<void> {
  const was = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  try {
    await body();
  } finally {
    if (was === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = was;
  }
}

test('a prefetched `etcd --version` is what the later read of the same binary uses: it runs once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-prefetch-'));
  try {
    await withCacheIn(dir, async () => {
      const a = fakeEtcd(dir, '3.4.23');
      prefetchVersion(a.path, scrubEtcdEnv(process.env), 5000);
      assert.equal((await readEtcdVersion(a.path)).text, '3.4.23');
      assert.equal(a.runs(), 1);
      // another binary than the prefetched one is run itself; a read in another environment does not take the prefetch
      const b = fakeEtcd(dir, '3.5.30');
      prefetchVersion(b.path, scrubEtcdEnv(process.env), 5000);
      assert.equal((await readEtcdVersion(b.path, { env: { ...process.env } })).text, '3.5.30');
      // The prefetch runs on in the background; both runs are counted once it has (bounded: a slow machine).
      await until('the prefetch and the read each ran b', async () => (b.runs() >= 2 ? true : undefined), 10_000, 20);
      assert.equal(b.runs(), 2);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the version is remembered per binary file: asked once, asked again when the file changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-vcache-'));
  try {
    await withCacheIn(dir, async () => {
      const a = fakeEtcd(dir, '3.4.23');
      assert.equal((await readEtcdVersion(a.path)).text, '3.4.23');
      assert.equal((await readEtcdVersion(a.path)).text, '3.4.23');
      assert.equal(a.runs(), 1, 'the second read comes from the cache');
      assert.ok(existsSync(join(dir, 'cache', 'etcd-lab', VERSION_CACHE_FILE)));
      // Rebuilt in place (another version, same path): its size and ctime differ, so it is asked.
      const count = join(dir, 'runs-3.4.23');
      writeFileSync(a.path, `#!/bin/sh\necho run >> '${count}'\necho 'etcd Version: 3.5.30'\necho 'Git SHA: y'\n`);
      assert.equal((await readEtcdVersion(a.path)).text, '3.5.30');
      assert.equal(a.runs(), 2);
      // Only touched: asked again too (mtime is part of the key).
      utimesSync(a.path, new Date(), new Date(Date.now() + 5000));
      assert.equal((await readEtcdVersion(a.path)).text, '3.5.30');
      assert.equal(a.runs(), 3);
      // A cache file that is not JSON is ignored, then replaced.
      writeFileSync(join(dir, 'cache', 'etcd-lab', VERSION_CACHE_FILE), '{not json');
      assert.equal((await readEtcdVersion(a.path)).text, '3.5.30');
      assert.equal(a.runs(), 4);
      assert.equal((await readEtcdVersion(a.path)).text, '3.5.30');
      assert.equal(a.runs(), 4);
      assert.deepEqual(readdirSync(join(dir, 'cache', 'etcd-lab')), [VERSION_CACHE_FILE], 'no temp file left');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('versionCacheKey: each of device, inode, size, mtime and ctime changes the key', () => {
  const st = { dev: 1, ino: 2, size: 3, mtimeMs: 4, ctimeMs: 5 };
  const k = versionCacheKey(st);
  for (const f of Object.keys(st) as (keyof typeof st)[]) assert.notEqual(versionCacheKey({ ...st, [f]: st[f] + 1 }), k, f);
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
