// The etcd binary the tests run (ETCD_BIN, else the first etcd on PATH) and its version, read from the binary
// itself: tests derive version-specific expectations from this, never from a version written into the test.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { etcdctlNextTo } from '../../src/etcd/binary.js';
import { parseEtcdVersionOutput } from '../../src/etcd/version.js';
import { findOnPath, scrubEtcdEnv } from '../../src/etcd/which.js';
import type { EtcdVersion } from '../../src/plan/types.js';

function locate(): string {
  const p = process.env.ETCD_BIN ? resolve(process.env.ETCD_BIN) : findOnPath('etcd');
  if (!p) throw new Error('the tests need etcd: none on PATH and no ETCD_BIN');
  return p;
}

export const ETCD_PATH = locate();
export const ETCD_VERSION: EtcdVersion = parseEtcdVersionOutput(
  execFileSync(ETCD_PATH, ['--version'], { encoding: 'utf8', env: scrubEtcdEnv(process.env), timeout: 10_000 }),
  ETCD_PATH,
);

/** True when the etcd under test is `major.minor` or newer. */
export function etcdAtLeast(major: number, minor: number): boolean {
  return ETCD_VERSION.major > major || (ETCD_VERSION.major === major && ETCD_VERSION.minor >= minor);
}

/** The cluster version etcd reports for a cluster of this binary: `MAJOR.MINOR.0`. */
export const CLUSTER_VERSION = `${ETCD_VERSION.major}.${ETCD_VERSION.minor}.0`;

/** The tool etcd-lab runs offline snapshot work with (status, restore): etcdutl from 3.5 when present, else etcdctl. */
export const OFFLINE_SNAPSHOT_TOOL: 'etcdutl' | 'etcdctl' =
  etcdAtLeast(3, 5) && etcdctlNextTo(ETCD_PATH).etcdutl ? 'etcdutl' : 'etcdctl';
