// Looking up executables on a PATH without running a shell, and the environment etcd is run with.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve, sep } from 'node:path';

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `env.PATH` (empty entries are skipped, not read as the cwd), or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = join(dir, name + ext);
      if (isExecutableFile(p)) return p;
    }
  }
  return null;
}

/** `--etcd etcd` (a bare name that is not a file here) means the one on PATH. */
export function flagPath(flag: string, env: NodeJS.ProcessEnv): string {
  if (!flag.includes('/') && !flag.includes(sep) && !existsSync(flag)) return findOnPath(flag, env) ?? resolve(flag);
  return resolve(flag);
}

/** A copy of `env` without ETCD_* variables: etcd reads every ETCD_<FLAG> as a flag. */
export function scrubEtcdEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.toUpperCase().startsWith('ETCD_')) out[k] = v;
  return out;
}
