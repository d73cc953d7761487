// The pure helpers of src/etcd/download.ts: asset names, URLs, cache location, SHA256SUMS lines, the progress bar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cacheRoot,
  cachedVersionDir,
  checksumFor,
  PINNED_ETCD,
  RELEASE_OF_MINOR,
  releaseAsset,
  releaseFor,
  releaseDirUrl,
  renderProgressBar,
} from '../../../src/etcd/download.js';

test('the default download is the newest 3.6 release; 3.4 and 3.5 stay selectable', () => {
  assert.equal(PINNED_ETCD, '3.6.14');
  assert.deepEqual(Object.keys(RELEASE_OF_MINOR).sort(), ['3.4', '3.5', '3.6']);
  for (const [minor, release] of Object.entries(RELEASE_OF_MINOR)) assert.ok(release.startsWith(`${minor}.`), release);
});

test('releaseFor: an exact version is itself, MAJOR.MINOR is the newest known patch, an unknown minor is null', () => {
  assert.equal(releaseFor({ major: 3, minor: 5, text: '3.5.21', exact: true }), '3.5.21');
  assert.equal(releaseFor({ major: 3, minor: 5, text: '3.5', exact: false }), '3.5.30');
  assert.equal(releaseFor({ major: 3, minor: 6, text: '3.6', exact: false }), PINNED_ETCD);
  assert.equal(releaseFor({ major: 3, minor: 4, text: '3.4', exact: false }), '3.4.41');
  assert.equal(releaseFor({ major: 3, minor: 9, text: '3.9', exact: false }), null);
});

test('release asset names per platform', () => {
  assert.deepEqual(releaseAsset('3.5.21', 'linux', 'x64'), {
    folder: 'etcd-v3.5.21-linux-amd64', file: 'etcd-v3.5.21-linux-amd64.tar.gz', kind: 'tar.gz', exe: '',
  });
  assert.equal(releaseAsset('3.5.21', 'linux', 'arm64')?.file, 'etcd-v3.5.21-linux-arm64.tar.gz');
  assert.equal(releaseAsset('3.5.21', 'linux', 'ppc64')?.file, 'etcd-v3.5.21-linux-ppc64le.tar.gz');
  assert.equal(releaseAsset('3.5.21', 'darwin', 'arm64')?.file, 'etcd-v3.5.21-darwin-arm64.zip');
  assert.deepEqual(releaseAsset('3.5.21', 'win32', 'x64'), {
    folder: 'etcd-v3.5.21-windows-amd64', file: 'etcd-v3.5.21-windows-amd64.zip', kind: 'zip', exe: '.exe',
  });
  assert.equal(releaseAsset('3.5.21', 'freebsd', 'x64'), null);
  assert.equal(releaseAsset('3.5.21', 'linux', 'ia32'), null);
});

test('release URL: GitHub by default, ETCD_LAB_DOWNLOAD_URL overrides (trailing slash ignored)', () => {
  assert.equal(releaseDirUrl('3.5.21', {}), 'https://github.com/etcd-io/etcd/releases/download/v3.5.21');
  assert.equal(releaseDirUrl('3.5.21', { ETCD_LAB_DOWNLOAD_URL: 'http://127.0.0.1:9/mirror/' }), 'http://127.0.0.1:9/mirror/v3.5.21');
});

test('cache root honours an absolute XDG_CACHE_HOME, else HOME/.cache', () => {
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/etcd-lab');
  assert.equal(cacheRoot({ HOME: '/home/u' }), '/home/u/.cache/etcd-lab');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }), '/home/u/.cache/etcd-lab');
  assert.equal(cachedVersionDir('3.5.21', { HOME: '/home/u' }), '/home/u/.cache/etcd-lab/3.5.21');
});

test('checksumFor finds the exact file line', () => {
  const a = 'a'.repeat(64);
  const b = 'B'.repeat(64);
  const sums = `${a}  etcd-v3.5.21-linux-amd64.tar.gz.asc\n${b}  etcd-v3.5.21-linux-amd64.tar.gz\r\n${a} *etcd-v3.5.21-darwin-arm64.zip\n`;
  assert.equal(checksumFor(sums, 'etcd-v3.5.21-linux-amd64.tar.gz'), 'b'.repeat(64));
  assert.equal(checksumFor(sums, 'etcd-v3.5.21-darwin-arm64.zip'), a);
  assert.equal(checksumFor(sums, 'etcd-v3.5.21-linux-arm64.tar.gz'), null);
  assert.equal(checksumFor('<html>not found</html>', 'x'), null);
});

test('renderProgressBar', () => {
  assert.equal(renderProgressBar(0, 100, 10), '[..........]   0% 0.0/0.0 MB');
  assert.equal(renderProgressBar(12_300_000, 27_100_000, 18), '[########..........]  45% 12.3/27.1 MB');
  assert.equal(renderProgressBar(27_100_000, 27_100_000, 4), '[####] 100% 27.1/27.1 MB');
  assert.equal(renderProgressBar(99_000_000, 27_100_000, 4), '[####] 100% 27.1/27.1 MB');
  assert.equal(renderProgressBar(5_000_000, null, 3), '[???]    ? 5.0 MB');
  assert.equal(renderProgressBar(1, 2, 0), '[.]  50% 0.0/0.0 MB');
});
