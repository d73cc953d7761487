// Other etcd releases some tests need beside the one under test (upgrade 3.5 -> 3.6, DNS bootstrap on 3.5+): looked
// up in $ETCD_VERSIONS_DIR (the layout `npm run test:versions` and .ci/run use: <dir>/<release>/etcd, the release
// written 3.5 or 3.5.30), else ~/.cache/etcd-lab-ci/etcd-versions. Null when absent: the test is skipped, saying so.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseEtcdVersionOutput } from '../../src/etcd/version.js';
import { scrubEtcdEnv } from '../../src/etcd/which.js';
import type { EtcdVersion } from '../../src/plan/types.js';

export const VERSIONS_DIR = process.env.ETCD_VERSIONS_DIR || join(homedir(), '.cache', 'etcd-lab-ci', 'etcd-versions');

/** The etcd of release `minor` (e.g. '3.6') in VERSIONS_DIR, with its version as the binary reports it; null if none. */
export function otherEtcd(minor: string): { path: string; version: EtcdVersion } | null {
  let names: string[];
  try {
    names = readdirSync(VERSIONS_DIR).filter((n) => n === minor || n.startsWith(`${minor}.`)).sort();
  } catch {
    return null;
  }
  for (const n of names.reverse()) {
    const path = join(VERSIONS_DIR, n, 'etcd');
    try {
      accessSync(path, constants.X_OK);
      const out = execFileSync(path, ['--version'], { encoding: 'utf8', env: scrubEtcdEnv(process.env), timeout: 10_000 });
      const version = parseEtcdVersionOutput(out, path);
      if (`${version.major}.${version.minor}` === minor) return { path, version };
    } catch {
      /* not this one */
    }
  }
  return null;
}
