// findEtcd and the release download against a local HTTP server that plays GitHub (no internet).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { etcdctlNextTo, findEtcd, installCommand, readEtcdVersion } from '../../src/etcd/binary.js';
import { parseVersionArg } from '../../src/etcd/version.js';
import { downloadEtcd, PINNED_ETCD, releaseAsset, type DownloadProgress } from '../../src/etcd/download.js';
import { VERSION_CACHE_FILE } from '../../src/etcd/version-cache.js';
import { claimPorts } from '../helpers/ports.js';
import { processesMentioning, waitNoProcesses } from '../helpers/procs.js';

const V = PINNED_ETCD;
const asset = releaseAsset(V);
const skip = process.platform !== 'linux' || asset?.kind !== 'tar.gz' ? 'needs a linux tar.gz release asset' : false;

// Prints an etcd-like --version, or gives away that an ETCD_* variable reached it (etcd would read it as a flag).
function fakeEtcd(firstLine: string): string {
  return [
    '#!/bin/sh',
    'if [ -n "$ETCD_LEAK_PROBE" ]; then echo "ETCD_LEAK_PROBE leaked into the environment"; exit 0; fi',
    `if [ "$1" = "--version" ]; then printf '%s\\nGit SHA: fake\\nGo Version: go0\\nGo OS/Arch: linux/amd64\\n' '${firstLine}'; exit 0; fi`,
    'exit 2',
    '',
  ].join('\n');
}

function writeExec(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

const isCode = (code: string) => (e: unknown) => e instanceof LabError && e.code === code;

describe('etcd binary discovery and download', { skip }, () => {
  let tmp: string;
  let port: number;
  let server: Server;
  let tarball: Buffer;
  let zipball: Buffer | null = null;
  let goodSums: string;
  const state = { sums: '', requests: [] as string[] };
  let n = 0;

  // A fresh cache and HOME per case; PATH is empty unless a case sets it.
  const envFor = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const base = join(tmp, `case${++n}`);
    mkdirSync(join(base, 'home'), { recursive: true });
    return {
      PATH: '',
      HOME: join(base, 'home'),
      XDG_CACHE_HOME: join(base, 'cache'),
      ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port}/rel`,
      ETCD_LEAK_PROBE: '1',
      ...extra,
    };
  };
  const cacheOf = (env: NodeJS.ProcessEnv) => join(env.XDG_CACHE_HOME!, 'etcd-lab');

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-dl-'));
    port = await claimPorts();

    const rel = join(tmp, 'release');
    const folder = join(rel, asset!.folder);
    mkdirSync(join(folder, 'Documentation'), { recursive: true });
    writeExec(join(folder, 'etcd'), fakeEtcd(`etcd Version: ${V}`));
    writeExec(join(folder, 'etcdctl'), '#!/bin/sh\necho "etcdctl version: fake"\n');
    writeExec(join(folder, 'etcdutl'), '#!/bin/sh\necho "etcdutl version: fake"\n');
    // Incompressible filler so the archive arrives in several chunks.
    writeFileSync(join(folder, 'Documentation', 'filler.bin'), randomBytes(1_500_000));
    writeFileSync(join(folder, 'README.md'), 'fake etcd release\n');
    execFileSync('tar', ['-czf', join(tmp, 'release.tgz'), '-C', rel, asset!.folder]);
    tarball = readFileSync(join(tmp, 'release.tgz'));
    const sha = createHash('sha256').update(tarball).digest('hex');
    goodSums = `${'0'.repeat(64)}  ${asset!.file}.asc\n${sha}  ${asset!.file}\n${'1'.repeat(64)}  etcd-v${V}-darwin-arm64.zip\n`;
    state.sums = goodSums;

    const darwin = releaseAsset(V, 'darwin', 'arm64')!;
    try {
      const zrel = join(tmp, 'zrelease');
      mkdirSync(join(zrel, darwin.folder), { recursive: true });
      writeExec(join(zrel, darwin.folder, 'etcd'), fakeEtcd(`etcd Version: ${V}`));
      execFileSync('zip', ['-q', '-r', join(tmp, 'release.zip'), darwin.folder], { cwd: zrel });
      zipball = readFileSync(join(tmp, 'release.zip'));
    } catch {
      zipball = null; // no zip tool here: that case is skipped
    }

    server = createServer((req, res) => {
      const url = req.url ?? '';
      state.requests.push(url);
      const send = (body: Buffer | string) => {
        res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (url === `/rel/v${V}/SHA256SUMS`) return send(state.sums);
      if (url === `/rel/v${V}/${asset!.file}`) {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/objects/${asset!.file}` });
        return res.end();
      }
      if (url === `/objects/${asset!.file}`) {
        // Written in slices so the client sees several chunks and progress steps.
        res.writeHead(200, { 'content-length': tarball.length });
        for (let i = 0; i < tarball.length; i += 256 * 1024) res.write(tarball.subarray(i, i + 256 * 1024));
        return res.end();
      }
      if (url === `/zip/v${V}/SHA256SUMS` && zipball) {
        return send(`${createHash('sha256').update(zipball).digest('hex')}  ${darwin.file}\n`);
      }
      if (url === `/zip/v${V}/${darwin.file}` && zipball) return send(zipball);
      if (url.startsWith('/stall/')) {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('x');
        return; // never finishes
      }
      if (url.startsWith('/loop/')) {
        res.writeHead(302, { location: url });
        return res.end();
      }
      res.writeHead(404);
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('downloads, verifies and caches the pinned release; the second call uses the cache without a request', async () => {
    const env = envFor();
    state.requests = [];
    const progress: DownloadProgress[] = [];
    const r = await findEtcd({ env, onProgress: (p) => progress.push(p) });
    const dir = join(cacheOf(env), V);
    assert.equal(r.source, 'download');
    assert.equal(r.path, join(dir, 'etcd'));
    assert.equal(r.version.text, V);
    assert.deepEqual(state.requests, [`/rel/v${V}/SHA256SUMS`, `/rel/v${V}/${asset!.file}`, `/objects/${asset!.file}`]);
    assert.ok(progress.length > 1, `progress steps: ${progress.length}`);
    assert.deepEqual(progress.at(-1), { received: tarball.length, total: tarball.length });
    // The release, and the version it answered (version-cache.ts): no temp dir left in the cache root.
    assert.deepEqual(readdirSync(cacheOf(env)).sort(), [V, VERSION_CACHE_FILE].sort());
    assert.deepEqual(readdirSync(dir).sort(), ['etcd', 'etcdctl', 'etcdutl']);
    assert.deepEqual(etcdctlNextTo(r.path, env), { etcdctl: join(dir, 'etcdctl'), etcdutl: join(dir, 'etcdutl') });

    state.requests = [];
    const again = await findEtcd({ env });
    assert.equal(again.source, 'cache');
    assert.equal(again.path, r.path);
    assert.deepEqual(state.requests, []);
  });

  test('concurrent downloads into one cache all succeed and leave one complete copy', async () => {
    const env = envFor();
    const results = await Promise.all([1, 2, 3].map(() => findEtcd({ env })));
    for (const r of results) {
      assert.equal(r.path, join(cacheOf(env), V, 'etcd'));
      assert.ok(r.source === 'download' || r.source === 'cache', r.source);
    }
    assert.ok(results.some((r) => r.source === 'download'));
    assert.deepEqual(readdirSync(cacheOf(env)).sort(), [V, VERSION_CACHE_FILE].sort());
    assert.deepEqual(readdirSync(join(cacheOf(env), V)).sort(), ['etcd', 'etcdctl', 'etcdutl']);
    assert.equal((await readEtcdVersion(results[0]!.path)).text, V);
  });

  test('a wrong checksum is CHECKSUM_MISMATCH and nothing is cached, no temp dir left', async () => {
    const env = envFor();
    state.sums = goodSums.replace(/^[0-9a-f]{64}(?=  etcd-v[^ ]+\.tar\.gz$)/m, 'f'.repeat(64));
    assert.notEqual(state.sums, goodSums);
    try {
      await assert.rejects(findEtcd({ env }), (e: unknown) => isCode('CHECKSUM_MISMATCH')(e) && /sha256/.test((e as Error).message));
    } finally {
      state.sums = goodSums;
    }
    assert.deepEqual(readdirSync(cacheOf(env)), []);
  });

  test('SHA256SUMS without a line for the asset: ETCD_NOT_FOUND explaining the download failure', async () => {
    const env = envFor();
    state.sums = `${'2'.repeat(64)}  something-else.tar.gz\n`;
    try {
      await assert.rejects(findEtcd({ env }), (e: unknown) => isCode('ETCD_NOT_FOUND')(e) && /has no line for/.test((e as Error).message));
    } finally {
      state.sums = goodSums;
    }
    assert.equal(existsSync(join(cacheOf(env), V)), false);
  });

  test('server down: ETCD_NOT_FOUND with the install command of this system and the release URL', async () => {
    const env = envFor({ ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port + 1}/rel` });
    await assert.rejects(findEtcd({ env }), (e: unknown) => {
      assert.ok(isCode('ETCD_NOT_FOUND')(e), String(e));
      const err = e as LabError;
      assert.match(err.message, /downloading etcd .* failed/);
      // The one command for this system leads the hint; where etcd-lab knows none, both are listed.
      const install = installCommand();
      if (install) assert.ok(err.hint?.startsWith(`Install etcd with: ${install}\n`), err.hint);
      for (const s of [
        ...(install ? [] : ['apt-get install etcd-server etcd-client', 'brew install etcd']),
        '--etcd /path/to/etcd',
        'ETCD_BIN',
        `http://127.0.0.1:${port + 1}/rel/v${V}/${asset!.file}`,
      ]) {
        assert.ok(err.hint?.includes(s), `hint lacks ${s}:\n${err.hint}`);
      }
      return true;
    });
    assert.equal(existsSync(join(cacheOf(env), V)), false);
  });

  test('an unusable cache directory: ETCD_NOT_FOUND saying where it could not store etcd', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a directory');
    const env = envFor({ XDG_CACHE_HOME: join(file, 'cache') });
    await assert.rejects(findEtcd({ env }), (e: unknown) => isCode('ETCD_NOT_FOUND')(e) && /cannot store etcd in/.test((e as Error).message));
  });

  test('download turned off: ETCD_NOT_FOUND naming the GitHub release, no request made', async () => {
    const env = envFor();
    delete env.ETCD_LAB_DOWNLOAD_URL;
    state.requests = [];
    await assert.rejects(findEtcd({ env, allowDownload: false }), (e: unknown) => {
      assert.ok(isCode('ETCD_NOT_FOUND')(e));
      assert.ok((e as LabError).hint?.includes(`https://github.com/etcd-io/etcd/releases/download/v${V}/${asset!.file}`));
      return true;
    });
    assert.deepEqual(state.requests, []);
  });

  test('a binary that prints something else is NOT_ETCD, quoting its output', async () => {
    const p = writeExec(join(tmp, 'not-etcd'), '#!/bin/sh\necho "hello from a fake"\n');
    await assert.rejects(
      findEtcd({ flag: p, env: envFor() }),
      (e: unknown) => isCode('NOT_ETCD')(e) && /hello from a fake/.test((e as Error).message) && (e as Error).message.includes(p),
    );
  });

  test('a binary reporting 3.3.0 is ETCD_TOO_OLD', async () => {
    const p = writeExec(join(tmp, 'etcd-3.3'), fakeEtcd('etcd Version: 3.3.0'));
    await assert.rejects(findEtcd({ flag: p, env: envFor() }), (e: unknown) => isCode('ETCD_TOO_OLD')(e) && /3\.3\.0/.test((e as Error).message));
    await assert.rejects(findEtcd({ env: envFor({ ETCD_BIN: p }) }), isCode('ETCD_TOO_OLD'));
  });

  test('an old etcd on PATH is passed over for the download (with a note), or reported when nothing else works', async () => {
    const bin = join(tmp, 'oldbin');
    mkdirSync(bin, { recursive: true });
    writeExec(join(bin, 'etcd'), fakeEtcd('etcd Version: 3.3.25'));
    const r = await findEtcd({ env: envFor({ PATH: bin }) });
    assert.equal(r.source, 'download');
    assert.match(r.notes.join('\n'), /3\.3\.25/);
    await assert.rejects(findEtcd({ env: envFor({ PATH: bin }), allowDownload: false }), (e: unknown) => {
      return isCode('ETCD_TOO_OLD')(e) && (e as LabError).details.some((d) => /downloading is turned off/.test(d));
    });
  });

  test('--etcd-version: a PATH etcd of another version is passed over for that release; of that version, it is used', async () => {
    const bins = join(tmp, 'want');
    mkdirSync(bins, { recursive: true });
    writeExec(join(bins, 'etcd'), fakeEtcd('etcd Version: 3.4.30'));
    const want = parseVersionArg(V.split('.').slice(0, 2).join('.'));
    const r = await findEtcd({ env: envFor({ PATH: bins }), want });
    assert.deepEqual([r.source, r.version.text], ['download', V]);
    assert.match(r.notes.join('\n'), new RegExp(`it is etcd 3\\.4\\.30, and --etcd-version ${want.text} was asked for`));
    const same = await findEtcd({ env: envFor({ PATH: bins }), want: parseVersionArg('3.4') });
    assert.deepEqual([same.source, same.version.text], ['path', '3.4.30']);
    // Given explicitly, a binary of another version is refused, not replaced.
    await assert.rejects(findEtcd({ flag: join(bins, 'etcd'), env: envFor(), want }), isCode('BAD_VERSION'));
  });

  test('order: --etcd beats ETCD_BIN beats PATH', async () => {
    const bins = join(tmp, 'order');
    mkdirSync(bins, { recursive: true });
    const a = writeExec(join(bins, 'a-etcd'), fakeEtcd('etcd Version: 3.6.1'));
    const b = writeExec(join(bins, 'b-etcd'), fakeEtcd('etcd Version: 3.5.9'));
    writeExec(join(bins, 'etcd'), fakeEtcd('etcd Version: 3.4.30'));
    const flag = await findEtcd({ flag: a, env: envFor({ ETCD_BIN: b, PATH: bins }) });
    assert.deepEqual([flag.source, flag.version.text, flag.path], ['flag', '3.6.1', a]);
    const envb = await findEtcd({ env: envFor({ ETCD_BIN: b, PATH: bins }) });
    assert.deepEqual([envb.source, envb.version.text], ['env', '3.5.9']);
    const path = await findEtcd({ env: envFor({ PATH: `${join(tmp, 'nothing-here')}:${bins}` }) });
    assert.deepEqual([path.source, path.version.text, path.path], ['path', '3.4.30', join(bins, 'etcd')]);
    // A bare name after --etcd is looked up on PATH.
    assert.equal((await findEtcd({ flag: 'a-etcd', env: envFor({ PATH: bins }) })).path, a);
  });

  test('the installed etcd works through --etcd', { skip: existsSync('/usr/bin/etcd') ? false : 'no /usr/bin/etcd' }, async () => {
    const r = await findEtcd({ flag: '/usr/bin/etcd', env: envFor() });
    assert.equal(r.source, 'flag');
    assert.equal(r.version.major, 3);
    assert.ok(r.version.minor >= 4);
  });

  test('missing, non-executable and directory paths are clear errors', async () => {
    await assert.rejects(findEtcd({ flag: join(tmp, 'nope'), env: envFor() }), (e: unknown) => isCode('ETCD_NOT_FOUND')(e) && /no such file/.test((e as Error).message));
    const plain = join(tmp, 'plain-file');
    writeFileSync(plain, fakeEtcd(`etcd Version: ${V}`));
    chmodSync(plain, 0o644);
    await assert.rejects(findEtcd({ flag: plain, env: envFor() }), (e: unknown) => isCode('NOT_ETCD')(e) && /not executable/.test((e as Error).message));
    await assert.rejects(findEtcd({ flag: tmp, env: envFor() }), (e: unknown) => isCode('NOT_ETCD')(e) && /not a file/.test((e as Error).message));
  });

  test('a hanging --version is cut off by the timeout, its children included', async () => {
    const marker = `31.${process.pid}`;
    const p = writeExec(join(tmp, 'hang'), `#!/bin/sh\nsleep ${marker} &\nwait\n`);
    const t0 = Date.now();
    await assert.rejects(readEtcdVersion(p, { timeoutMs: 300 }), (e: unknown) => isCode('NOT_ETCD')(e) && /did not finish/.test((e as Error).message));
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
    assert.deepEqual(processesMentioning(p), []);
  });

  test('a stalled download fails after the stall timeout and leaves nothing', async () => {
    const env = envFor({ ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port}/stall` });
    const t0 = Date.now();
    await assert.rejects(downloadEtcd({ env, stallTimeoutMs: 300 }), (e: unknown) => isCode('DOWNLOAD_FAILED')(e) && /no data for 300 ms/.test((e as Error).message));
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(existsSync(join(cacheOf(env), V)), false);
  });

  test('redirects are bounded', async () => {
    const env = envFor({ ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port}/loop` });
    state.requests = [];
    await assert.rejects(downloadEtcd({ env }), (e: unknown) => isCode('DOWNLOAD_FAILED')(e) && /redirects/.test((e as Error).message));
    assert.ok(state.requests.length > 1 && state.requests.length <= 6, `${state.requests.length} requests`);
  });

  test('zip releases: extracted with unzip when present, a clear error when not', async () => {
    const noTool = envFor({ ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port}/zip` });
    state.requests = [];
    await assert.rejects(
      downloadEtcd({ env: noTool, platform: 'darwin', arch: 'arm64' }),
      (e: unknown) => isCode('DOWNLOAD_FAILED')(e) && /no unzip/.test((e as Error).message),
    );
    assert.deepEqual(state.requests, [], 'refused before downloading');
    if (!zipball || !existsSync('/usr/bin/unzip')) return;
    const env = envFor({ ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port}/zip`, PATH: '/usr/bin:/bin' });
    const r = await downloadEtcd({ env, platform: 'darwin', arch: 'arm64' });
    assert.equal(r.cached, false);
    assert.deepEqual(readdirSync(r.dir), ['etcd']);
    assert.equal((await readEtcdVersion(r.etcd)).text, V);
  });
});
