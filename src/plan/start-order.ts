// Which member a staggered start begins with (docs/etcd-facts.md#bootstrap-stall). A member that starts without data asks its peers
// whether it was bootstrapped already: one peer at a time, in the byte order of their peer URLs, stopping at the
// first that answers (a peer that listens but does not serve yet holds the question up to etcd's 1 s bootstrap
// timeout). Once the member whose peer URL sorts first serves, every other member's question ends at it, so all
// the others can start together without waiting on each other.
import { flagValue } from './go-flags.js';
import type { MemberPlan } from './types.js';

/** Index of the member the others' bootstrap checks ask first: the one whose advertised peer URL sorts first. */
export function bootstrapAnchor(members: readonly Pick<MemberPlan, 'peerURL'>[]): number {
  let best = -1;
  members.forEach((m, i) => {
    // Go's sort.Strings compares bytes; for the ASCII of a URL that is JavaScript's code-unit order.
    if (best < 0 || m.peerURL < members[best]!.peerURL) best = i;
  });
  return best;
}

/** What a Procfile entry that runs etcd says about its start, for `staggerAnchor`. */
export interface StaggerEntry {
  /** Its advertised (else listened) peer URL. */
  peerURL: string | null;
  /** The new cluster it bootstraps (`newClusterKey`), or null when it joins an existing one. */
  newCluster: string | null;
  /** Its WAL dir already holds files: it restarts, and asks its peers nothing before it starts. */
  hasWal: boolean;
}

/**
 * PURE. Which entry a Procfile start begins with (index into `entries`; null for an entry that is no etcd member),
 * or -1 to start all at once: the bootstrap anchor of the etcd members that bootstrap one new cluster, when they are
 * 2 or more. Members with a WAL, members joining an existing cluster, and Procfiles bootstrapping several clusters
 * start all at once.
 */
export function staggerAnchor(entries: readonly (StaggerEntry | null)[]): number {
  const fresh = entries.flatMap((e, i) => (e && e.newCluster !== null && !e.hasWal && e.peerURL ? [{ i, peerURL: e.peerURL, key: e.newCluster }] : []));
  if (fresh.length < 2 || new Set(fresh.map((f) => f.key)).size !== 1) return -1;
  return fresh[bootstrapAnchor(fresh)]!.i;
}

/**
 * PURE. The new cluster an etcd command line bootstraps: its token and sorted `--initial-cluster` (etcd's
 * defaults when unset), or null when it joins an existing cluster or finds its peers through discovery.
 */
export function newClusterKey(argv: readonly string[]): string | null {
  if ((flagValue(argv, 'initial-cluster-state') ?? 'new') !== 'new') return null;
  if (flagValue(argv, 'discovery') || flagValue(argv, 'discovery-srv')) return null;
  const cluster = (flagValue(argv, 'initial-cluster') ?? 'default=http://localhost:2380').split(',').map((s) => s.trim()).sort();
  return `${flagValue(argv, 'initial-cluster-token') ?? 'etcd-cluster'} ${cluster.join(',')}`;
}

/**
 * PURE. Where etcd keeps its WAL for this command line: `--wal-dir`, else `<data-dir>/member/wal`, the data dir
 * being `<name>.etcd` by default (name `default`). Relative paths are relative to etcd's working directory.
 */
export function etcdWalDir(argv: readonly string[]): string {
  const wal = flagValue(argv, 'wal-dir');
  if (wal) return wal;
  const data = flagValue(argv, 'data-dir') || `${flagValue(argv, 'name') ?? 'default'}.etcd`;
  return `${data.replace(/\/+$/, '')}/member/wal`;
}
