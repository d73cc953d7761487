// `etcd --version` remembered per binary file. Running it starts Go's runtime: 35 ms alone and 60-100 ms while
// etcd-lab's own processes start beside it on 2 cores, on the path to the first member's spawn. A binary's answer
// cannot change while the file stays the same, so the key is the file's device, inode, size, mtime and ctime: a
// replaced, rebuilt or re-chmodded binary is asked again. One JSON file in the cache root; a cache that cannot be
// read or written costs only the time.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './cache-root.js';

type Entries = Record<string, { key: string; output: string }>;

/** Kept per file: the most recently asked binaries. */
const MAX_ENTRIES = 32;
export const VERSION_CACHE_FILE = 'etcd-versions.json';

/** What identifies the file's content without reading it. PURE. */
export function versionCacheKey(st: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'dev'>): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

function load(file: string): Entries {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Entries) : {};
  } catch {
    return {};
  }
}

/** The `--version` output remembered for `path` when the file is still the one that gave it, else null. */
export function cachedVersionOutput(path: string, st: Stats, env: NodeJS.ProcessEnv): string | null {
  const e = load(join(cacheRoot(env), VERSION_CACHE_FILE))[path];
  return e !== undefined && e.key === versionCacheKey(st) && typeof e.output === 'string' ? e.output : null;
}

/** Remembers `output` for `path` as it is now (`st`); written whole to a temp name, then renamed over the old file. */
export function rememberVersionOutput(path: string, st: Stats, output: string, env: NodeJS.ProcessEnv): void {
  const root = cacheRoot(env);
  const file = join(root, VERSION_CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const entries = load(file);
    delete entries[path];
    const kept = Object.entries(entries).slice(-(MAX_ENTRIES - 1));
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(Object.fromEntries([...kept, [path, { key: versionCacheKey(st), output }]])), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written costs only speed (even one whose folder cannot be looked into).
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written there */
    }
  }
}
