// Finding the etcd binary: --etcd, ETCD_BIN, PATH, the download cache, then a download of the pinned release.
import { existsSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { LabError } from '../errors.js';
import type { EtcdVersion } from '../plan/types.js';
import { cachedVersionDir, downloadEtcd, PINNED_ETCD, releaseAsset, releaseDirUrl, releaseFor, type DownloadProgress } from './download.js';
import { assertSupported, parseEtcdVersionOutput, type VersionArg } from './version.js';
import { runCapture, takePrefetchedVersion, VERSION_TIMEOUT_MS } from './run-capture.js';
import { cachedVersionOutput, rememberVersionOutput } from './version-cache.js';
import { flagPath, findOnPath, isExecutableFile, scrubEtcdEnv } from './which.js';

export type EtcdSource = 'flag' | 'env' | 'path' | 'cache' | 'download';

export interface FoundEtcd {
  /** Absolute path of the binary. */
  path: string;
  version: EtcdVersion;
  source: EtcdSource;
  /** Candidates that were passed over and why (e.g. an etcd 3.3 on PATH), for the CLI to mention. */
  notes: string[];
}

export interface FindEtcdOptions {
  /** The `--etcd PATH` flag. */
  flag?: string;
  /** Where ETCD_BIN, PATH, HOME, XDG_CACHE_HOME and ETCD_LAB_DOWNLOAD_URL are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Download the pinned release when nothing else is found (default true). */
  allowDownload?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** The release looked up in the cache and downloaded (default: the release of `want`, else PINNED_ETCD). */
  version?: string;
  /**
   * `--etcd-version`: a binary given by --etcd/ETCD_BIN of another version is refused (BAD_VERSION); one on PATH is
   * passed over (with a note) for the cached or downloaded release of that version.
   */
  want?: VersionArg;
}

/** Does `v` satisfy `want` ("3.5" any 3.5.x; "3.5.21" exactly)? */
export function versionMatches(v: EtcdVersion, want: VersionArg): boolean {
  if (v.major !== want.major || v.minor !== want.minor) return false;
  return !want.exact || v.patch === want.patch;
}

function mismatch(found: FoundEtcd, want: VersionArg, where: string, how: string): LabError {
  return new LabError('BAD_VERSION', `${where} is etcd ${found.version.text}, but --etcd-version ${want.text} was asked for`, {
    hint: `drop --etcd-version to use etcd ${found.version.text}, or ${how} an etcd ${want.text} binary`,
  });
}


export async function findEtcd(opts: FindEtcdOptions = {}): Promise<FoundEtcd> {
  const env = opts.env ?? process.env;
  const exe = process.platform === 'win32' ? '.exe' : '';
  const want = opts.want;
  if (opts.flag || env.ETCD_BIN) {
    const [path, source, where, how] = opts.flag
      ? [flagPath(opts.flag, env), 'flag' as const, `--etcd ${opts.flag}`, 'point --etcd at']
      : [resolve(env.ETCD_BIN!), 'env' as const, `ETCD_BIN=${env.ETCD_BIN}`, 'set ETCD_BIN to'];
    const found = await checked(path, source, where, env, []);
    if (want && !versionMatches(found.version, want)) throw mismatch(found, want, where, how);
    return found;
  }

  const notes: string[] = [];
  let pathProblem: LabError | null = null;
  const onPath = findOnPath('etcd', env);
  if (onPath) {
    try {
      const found = await checked(onPath, 'path', onPath, env, notes);
      if (!want || versionMatches(found.version, want)) return found;
      notes.push(`passed over ${onPath} on PATH: it is etcd ${found.version.text}, and --etcd-version ${want.text} was asked for`);
    } catch (e) {
      if (!(e instanceof LabError) || (e.code !== 'ETCD_TOO_OLD' && e.code !== 'NOT_ETCD')) throw e;
      pathProblem = e;
      notes.push(`skipped ${onPath} on PATH: ${e.message}`);
    }
  }

  const version = opts.version ?? (want ? releaseFor(want) : null) ?? PINNED_ETCD;
  const cached = join(cachedVersionDir(version, env), `etcd${exe}`);
  if (existsSync(cached)) return checked(cached, 'cache', cached, env, notes);

  let downloadProblem: LabError | null = null;
  if (opts.allowDownload !== false) {
    try {
      const got = await downloadEtcd({ version, env, onProgress: opts.onProgress });
      return await checked(got.etcd, got.cached ? 'cache' : 'download', got.etcd, env, notes);
    } catch (e) {
      if (!(e instanceof LabError) || e.code !== 'DOWNLOAD_FAILED') throw e;
      downloadProblem = e;
    }
  }
  const why = downloadProblem ? `downloading etcd ${version} failed: ${downloadProblem.message}` : 'downloading is turned off';
  if (pathProblem) {
    throw new LabError(pathProblem.code, pathProblem.message, {
      hint: pathProblem.hint,
      details: [why],
      cause: downloadProblem ?? undefined,
    });
  }
  throw notFound(version, env, why, downloadProblem, notes);
}

/** The one command that installs etcd here: apt-get on Debian/Ubuntu, brew on macOS; null elsewhere. */
export function installCommand(platform: NodeJS.Platform = process.platform, debian = existsSync('/etc/debian_version')): string | null {
  if (platform === 'darwin') return 'brew install etcd';
  if (platform === 'linux' && debian) return 'sudo apt-get install etcd-server etcd-client';
  return null;
}

function notFound(version: string, env: NodeJS.ProcessEnv, why: string, cause: LabError | null, notes: string[]): LabError {
  const asset = releaseAsset(version);
  const url = asset ? `${releaseDirUrl(version, env)}/${asset.file}` : `https://github.com/etcd-io/etcd/releases/tag/v${version}`;
  const install = installCommand();
  const onPath = notes.length > 0 ? '' : ', no etcd on PATH';
  return new LabError(
    'ETCD_NOT_FOUND',
    `no etcd binary: no --etcd flag, no ETCD_BIN${onPath}, none cached in ${cachedVersionDir(version, env)}, and ${why}`,
    {
      hint: [
        install ? `Install etcd with: ${install}` : 'Install etcd 3.4 or newer, or tell etcd-lab where it is:',
        ...(install ? ['or tell etcd-lab where one is:'] : ['  Debian/Ubuntu: sudo apt-get install etcd-server etcd-client', '  macOS:         brew install etcd']),
        '  --etcd /path/to/etcd  or  ETCD_BIN=/path/to/etcd',
        `  or download ${url}`,
        `     and put its etcd, etcdctl and etcdutl in ${cachedVersionDir(version, env)}${sep}`,
      ].join('\n'),
      details: notes,
      cause: cause ?? undefined,
    },
  );
}


async function checked(path: string, source: EtcdSource, where: string, env: NodeJS.ProcessEnv, notes: string[]): Promise<FoundEtcd> {
  const version = await readEtcdVersion(path, { env, where });
  assertSupported(version, where);
  return { path, version, source, notes };
}

export { scrubEtcdEnv } from './which.js';

/**
 * Runs `path --version` (5 s timeout, ETCD_* scrubbed from the environment) and parses it.
 * Throws ETCD_NOT_FOUND (no such file), NOT_ETCD (not an executable file, hangs, fails, prints something else).
 */
export async function readEtcdVersion(
  path: string,
  opts: { env?: NodeJS.ProcessEnv; where?: string; timeoutMs?: number } = {},
): Promise<EtcdVersion> {
  const where = opts.where ?? path;
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new LabError('ETCD_NOT_FOUND', `${where}: no such file`, {
      hint: 'Check the path, or drop --etcd/ETCD_BIN to let etcd-lab find or download etcd.',
    });
  }
  if (!st.isFile()) throw new LabError('NOT_ETCD', `${where} is not a file`, { hint: 'Point it at the etcd binary itself.' });
  if (!isExecutableFile(path)) {
    throw new LabError('NOT_ETCD', `${where} is not executable`, { hint: `Make it executable: chmod +x ${path}` });
  }
  const timeoutMs = opts.timeoutMs ?? VERSION_TIMEOUT_MS;
  const env = opts.env ?? process.env;
  const cached = cachedVersionOutput(path, st, env);
  if (cached !== null) {
    try {
      return parseEtcdVersionOutput(cached, where);
    } catch {
      /* not an answer etcd gives: ask the binary */
    }
  }
  const r = await (takePrefetchedVersion(path, env) ?? runCapture(path, ['--version'], scrubEtcdEnv(env), timeoutMs));
  if (r.error) throw new LabError('NOT_ETCD', `cannot run ${where}: ${r.error.message}`, { cause: r.error });
  if (r.timedOut) {
    throw new LabError('NOT_ETCD', `${where} --version did not finish within ${timeoutMs / 1000} s`, {
      hint: 'Point --etcd (or ETCD_BIN) at the etcd server binary.',
    });
  }
  const version = parseEtcdVersionOutput(r.output, where);
  rememberVersionOutput(path, st, r.output, env);
  return version;
}

/** etcdctl and etcdutl next to `etcdPath` (or next to the file it links to), else on PATH; null when absent. */
export function etcdctlNextTo(
  etcdPath: string,
  env: NodeJS.ProcessEnv = process.env,
): { etcdctl: string | null; etcdutl: string | null } {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const dirs = [dirname(resolve(etcdPath))];
  try {
    dirs.push(dirname(realpathSync(etcdPath)));
  } catch {
    /* dangling: PATH only */
  }
  const find = (name: string) => {
    for (const d of dirs) {
      const p = join(d, name + exe);
      if (isExecutableFile(p)) return p;
    }
    return findOnPath(name, env);
  };
  return { etcdctl: find('etcdctl'), etcdutl: find('etcdutl') };
}
