// Downloads a pinned etcd release into the cache: checksum-verified, extracted in a temp dir, renamed into place.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { cacheRoot } from './cache-root.js';
import { runCapture } from './run-capture.js';
import { findOnPath } from './which.js';

/** Unpacking a release takes seconds; a tool that hangs is stopped after this. */
const EXTRACT_TIMEOUT_MS = 120_000;

/** The release etcd-lab downloads when no etcd is installed: the newest 3.6 (README, "Which etcd"). */
export const PINNED_ETCD = '3.6.14';

/**
 * The release downloaded for `--etcd-version MAJOR.MINOR`: the newest patch of each supported minor at the time
 * of writing (3.4.41 per etcd's CHANGELOG-3.4; 3.5.30 and 3.6.14 are the ones the version matrix ran).
 */
export const RELEASE_OF_MINOR: Readonly<Record<string, string>> = { '3.4': '3.4.41', '3.5': '3.5.30', '3.6': PINNED_ETCD };

/** The release to fetch for a wanted version: itself when exact ("3.5.21"), else the newest known patch of its minor. */
export function releaseFor(want: { major: number; minor: number; text: string; exact: boolean }): string | null {
  return want.exact ? want.text : (RELEASE_OF_MINOR[`${want.major}.${want.minor}`] ?? null);
}
export const DEFAULT_DOWNLOAD_BASE = 'https://github.com/etcd-io/etcd/releases/download';

const MAX_REDIRECTS = 5;
const DEFAULT_STALL_MS = 30_000;

export interface DownloadProgress {
  received: number;
  total: number | null;
}

export interface ReleaseAsset {
  /** Top-level folder inside the archive, e.g. "etcd-v3.5.21-linux-amd64". */
  folder: string;
  /** Archive file name, e.g. "etcd-v3.5.21-linux-amd64.tar.gz". */
  file: string;
  kind: 'tar.gz' | 'zip';
  /** ".exe" on Windows. */
  exe: string;
}

const RELEASE_OS: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const RELEASE_ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' };

/** The release archive for a platform, or null when etcd publishes none for it. */
export function releaseAsset(
  version: string,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): ReleaseAsset | null {
  const os = RELEASE_OS[platform];
  const a = RELEASE_ARCH[arch];
  if (!os || !a) return null;
  const folder = `etcd-v${version}-${os}-${a}`;
  const kind = os === 'linux' ? 'tar.gz' : 'zip';
  return { folder, file: `${folder}.${kind}`, kind, exe: os === 'windows' ? '.exe' : '' };
}

export function downloadBase(env: NodeJS.ProcessEnv = process.env): string {
  return (env.ETCD_LAB_DOWNLOAD_URL || DEFAULT_DOWNLOAD_BASE).replace(/\/+$/, '');
}

/** The release folder URL, e.g. https://github.com/etcd-io/etcd/releases/download/v3.5.21 */
export function releaseDirUrl(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${downloadBase(env)}/v${version}`;
}

export { cacheRoot };

export function cachedVersionDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), version);
}

export interface DownloadOptions {
  version?: string;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: DownloadProgress) => void;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Abort when no bytes arrive for this long (default 30 s). */
  stallTimeoutMs?: number;
}

export interface DownloadResult {
  dir: string;
  etcd: string;
  /** True when the release was already cached (possibly by a concurrent download). */
  cached: boolean;
}

/**
 * Downloads `etcd-v<version>-<os>-<arch>` into `<cacheRoot>/<version>/` (etcd, etcdctl, etcdutl).
 * Throws DOWNLOAD_FAILED (network, HTTP, archive, unsupported platform) or CHECKSUM_MISMATCH; on failure
 * nothing is left in the cache.
 */
export async function downloadEtcd(opts: DownloadOptions = {}): Promise<DownloadResult> {
  try {
    return await download(opts);
  } catch (e) {
    if (e instanceof LabError) throw e;
    const root = cacheRoot(opts.env ?? process.env);
    throw new LabError('DOWNLOAD_FAILED', `cannot store etcd in ${root}: ${describe(e)}`, {
      hint: 'Make the cache writable, or point XDG_CACHE_HOME elsewhere.',
      cause: e,
    });
  }
}

async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const version = opts.version ?? PINNED_ETCD;
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const asset = releaseAsset(version, platform, opts.arch ?? process.arch);
  if (!asset) {
    throw new LabError('DOWNLOAD_FAILED', `etcd publishes no release binary for ${platform}/${opts.arch ?? process.arch}`);
  }
  const root = cacheRoot(env);
  const finalDir = join(root, version);
  const finalEtcd = join(finalDir, `etcd${asset.exe}`);
  if (existsSync(finalEtcd)) return { dir: finalDir, etcd: finalEtcd, cached: true };

  const extractor = asset.kind === 'zip' ? findUnzipper(env) : { cmd: 'tar', args: (f: string, d: string) => ['-xzf', f, '-C', d] };
  const dirUrl = releaseDirUrl(version, env);
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;

  const sums = (await fetchBuffer(`${dirUrl}/SHA256SUMS`, stallMs)).toString('utf8');
  const expected = checksumFor(sums, asset.file);
  if (!expected) {
    throw new LabError('DOWNLOAD_FAILED', `${dirUrl}/SHA256SUMS has no line for ${asset.file}`);
  }

  await mkdir(root, { recursive: true });
  await cleanStaleTemps(env);
  const tmp = await mkdtemp(join(root, `.tmp-${version}-`));
  try {
    const archive = join(tmp, asset.file);
    const actual = await fetchToFile(`${dirUrl}/${asset.file}`, archive, stallMs, opts.onProgress);
    if (actual !== expected) {
      throw new LabError('CHECKSUM_MISMATCH', `${asset.file} from ${dirUrl} has sha256 ${actual}, SHA256SUMS says ${expected}`, {
        hint: 'The download was corrupted or tampered with; nothing was cached. Try again, or check ETCD_LAB_DOWNLOAD_URL.',
      });
    }
    const unpacked = join(tmp, 'unpacked');
    await mkdir(unpacked);
    await run(extractor.cmd, extractor.args(archive, unpacked), `extracting ${asset.file}`);

    const out = join(tmp, 'out');
    await mkdir(out);
    for (const name of ['etcd', 'etcdctl', 'etcdutl']) {
      const from = join(unpacked, asset.folder, `${name}${asset.exe}`);
      if (!existsSync(from)) {
        if (name === 'etcd') throw new LabError('DOWNLOAD_FAILED', `${asset.file} has no ${asset.folder}/etcd${asset.exe}`);
        continue; // etcdutl only exists from 3.5 on
      }
      await rename(from, join(out, `${name}${asset.exe}`));
      await chmod(join(out, `${name}${asset.exe}`), 0o755);
    }
    try {
      await rename(out, finalDir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EPERM') throw e;
      // Another download finished first: keep its complete copy.
      if (!existsSync(finalEtcd)) {
        throw new LabError('DOWNLOAD_FAILED', `${finalDir} exists but holds no etcd${asset.exe}`, {
          hint: `Remove ${finalDir} and try again.`,
        });
      }
      return { dir: finalDir, etcd: finalEtcd, cached: true };
    }
    return { dir: finalDir, etcd: finalEtcd, cached: false };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The hex sha256 of `file` in a SHA256SUMS text ("<hex>  <name>" or "<hex> *<name>" lines). */
export function checksumFor(sums: string, file: string): string | null {
  for (const line of sums.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m && (m[2] === file || m[2].endsWith(`/${file}`))) return m[1]!.toLowerCase();
  }
  return null;
}

/** `[#########.........]  45% 12.3/27.1 MB`; without a total: `[?????...]  ?% 12.3 MB`. */
export function renderProgressBar(received: number, total: number | null, width = 30): string {
  const cells = Math.max(1, Math.floor(width));
  const mb = (n: number) => (n / 1e6).toFixed(1);
  if (total === null || total <= 0) {
    return `[${'?'.repeat(cells)}]    ? ${mb(received)} MB`;
  }
  const frac = Math.min(1, Math.max(0, received / total));
  const filled = Math.floor(frac * cells);
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}] ${pct} ${mb(Math.min(received, total))}/${mb(total)} MB`;
}

function findUnzipper(env: NodeJS.ProcessEnv): { cmd: string; args: (f: string, d: string) => string[] } {
  const unzip = findOnPath('unzip', env);
  if (unzip) return { cmd: unzip, args: (f, d) => ['-q', '-o', f, '-d', d] };
  // bsdtar (macOS tar, Windows tar.exe) reads zip archives; GNU tar does not.
  const bsdtar = findOnPath('bsdtar', env) ?? (process.platform === 'linux' ? null : findOnPath('tar', env));
  if (bsdtar) return { cmd: bsdtar, args: (f, d) => ['-xf', f, '-C', d] };
  throw new LabError('DOWNLOAD_FAILED', 'the etcd release for this platform is a .zip and no unzip tool was found on PATH', {
    hint: 'Install unzip (or bsdtar), or install etcd yourself and pass --etcd /path/to/etcd.',
  });
}

async function run(cmd: string, args: string[], what: string): Promise<void> {
  const r = await runCapture(cmd, args, process.env, EXTRACT_TIMEOUT_MS, null, { group: false, maxChars: 4000 });
  if (r.error) throw new LabError('DOWNLOAD_FAILED', `${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.timedOut) throw new LabError('DOWNLOAD_FAILED', `${what}: ${cmd} did not finish within ${EXTRACT_TIMEOUT_MS / 1000} s`);
  if (r.code !== 0) throw new LabError('DOWNLOAD_FAILED', `${what}: ${cmd} exited with ${r.code}: ${r.stderr.trim()}`);
}

/** GET with manual, bounded redirects; rejects non-2xx with DOWNLOAD_FAILED. */
async function open(url: string, signal: AbortSignal): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { redirect: 'manual', signal });
    } catch (e) {
      throw new LabError('DOWNLOAD_FAILED', `cannot fetch ${current}: ${describe(e)}`, { cause: e });
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new LabError('DOWNLOAD_FAILED', `${url}: more than ${MAX_REDIRECTS} redirects`);
      current = new URL(location, current).toString();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new LabError('DOWNLOAD_FAILED', `${current} answered HTTP ${res.status}`);
    }
    return res;
  }
}

/** Reads a response body, aborting when nothing (headers or a chunk) arrives for `stallMs`. */
async function readBody(
  url: string,
  stallMs: number,
  onChunk: (chunk: Uint8Array, total: number | null) => void | Promise<void>,
): Promise<void> {
  const ctl = new AbortController();
  let timer = setTimeout(() => ctl.abort(), stallMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(), stallMs);
  };
  try {
    const res = await open(url, ctl.signal);
    const len = Number(res.headers.get('content-length'));
    const total = Number.isFinite(len) && len > 0 ? len : null;
    if (!res.body) throw new LabError('DOWNLOAD_FAILED', `${url}: empty response`);
    rearm();
    for await (const chunk of res.body) {
      rearm();
      await onChunk(chunk, total);
    }
  } catch (e) {
    if (ctl.signal.aborted) {
      throw new LabError('DOWNLOAD_FAILED', `${url}: no data for ${stallMs} ms`, { cause: e });
    }
    if (e instanceof LabError) throw e;
    throw new LabError('DOWNLOAD_FAILED', `reading ${url}: ${describe(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

async function fetchBuffer(url: string, stallMs: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  await readBody(url, stallMs, (chunk) => {
    size += chunk.length;
    if (size > 1_000_000) throw new LabError('DOWNLOAD_FAILED', `${url} is larger than 1 MB`);
    parts.push(Buffer.from(chunk));
  });
  return Buffer.concat(parts);
}

/** Streams `url` into `file`; returns the hex sha256 of what was written. */
async function fetchToFile(
  url: string,
  file: string,
  stallMs: number,
  onProgress?: (p: DownloadProgress) => void,
): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  let writeError: Error | null = null;
  out.on('error', (e) => {
    writeError = e;
    out.emit('drain');
  });
  const fail = (e: Error) => new LabError('DOWNLOAD_FAILED', `writing ${file}: ${e.message}`, { cause: e });
  let received = 0;
  try {
    await readBody(url, stallMs, async (chunk, total) => {
      if (writeError) throw fail(writeError);
      hash.update(chunk);
      received += chunk.length;
      onProgress?.({ received, total });
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    });
  } finally {
    await new Promise<void>((resolve) => {
      if (out.destroyed || writeError) resolve();
      else out.end(() => resolve());
    });
  }
  if (writeError) throw fail(writeError);
  return hash.digest('hex');
}

function describe(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}

/** Removes temp dirs a crashed download left in the cache root more than an hour ago. */
export async function cleanStaleTemps(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const root = cacheRoot(env);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.startsWith('.tmp-')) continue;
    const p = join(root, e);
    try {
      if (Date.now() - (await stat(p)).mtimeMs > 3_600_000) await rm(p, { recursive: true, force: true });
    } catch {
      /* raced with its owner */
    }
  }
}
