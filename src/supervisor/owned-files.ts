// What etcd-lab made in a state dir, and the one way it deletes it: `up --fresh` (a new cluster in the same dir) and
// `down --clean` (the dir itself). Only what the dir's own plan.json accounts for is deleted; anything else in the
// dir (the user's files, data of members not in the plan) is kept, and a dir without an etcd-lab plan.json is refused.
import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { shellQuote } from '../plan/quote.js';
import type { ClusterPlan } from '../plan/types.js';
import { readJson, statePaths, type StatePaths } from './state-dir.js';

/** The members whose data dir holds etcd data (a `member` folder). */
export function membersWithData(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir).filter((n) => existsSync(join(dataDir, n, 'member')));
}

/**
 * The plan.json at `file` when etcd-lab wrote it (version 1, members with plain names: nothing in it can name a path
 * outside the dir), else null: absent, unreadable, or someone else's.
 */
export function readLabPlan(file: string): ClusterPlan | null {
  let p: ClusterPlan | null;
  try {
    p = readJson<ClusterPlan>(file);
  } catch {
    return null;
  }
  const plainName = (m: { name?: unknown } | null): boolean => typeof m?.name === 'string' && m.name !== '' && !/[/\\]|^\.\.?$/.test(m.name);
  return p?.version === 1 && Array.isArray(p.members) && p.members.every(plainName) ? p : null;
}

/**
 * What etcd-lab made in the dir, as its plan.json says: each planned member's data dir and log, the gRPC proxy's
 * log, the PKI of a TLS cluster, plan.json and state.json. Refused (nothing is deleted) when there is no plan.json,
 * when it is not one etcd-lab wrote, or when the data folder holds members the plan does not name. `by` says which
 * command asks, for the messages.
 */
export function ownedFiles(dir: string, paths: StatePaths, by: '--fresh' | 'down --clean'): string[] {
  const withData = membersWithData(paths.data);
  if (!existsSync(paths.plan)) {
    const what =
      withData.length > 0
        ? `${paths.data} holds etcd data (${withData.join(', ')}) but no plan.json: etcd-lab cannot tell that it made it`
        : `${dir} has no plan.json: etcd-lab cannot tell that it made what is there`;
    throw new LabError('DIR_MISMATCH', `${what}, so ${by} deletes nothing`, {
      hint: `delete it yourself if it is yours to throw away (rm -r ${shellQuote(withData.length > 0 ? paths.data : dir)}), or use another --dir`,
    });
  }
  const stored = readLabPlan(paths.plan);
  if (!stored) {
    throw new LabError('DIR_MISMATCH', `${paths.plan} is not a plan etcd-lab wrote, so ${by} deletes nothing in ${dir}`, {
      hint: 'use another --dir, or remove that file yourself if it is yours to throw away',
    });
  }
  const planned = stored.members.map((m) => m.name);
  const foreign = withData.filter((n) => !planned.includes(n));
  if (foreign.length > 0) {
    throw new LabError('DIR_MISMATCH', `${paths.data} holds data of members that are not in its plan: ${foreign.join(', ')}; ${by} deletes only what etcd-lab made`, {
      hint: 'use another --dir, or remove those folders yourself',
    });
  }
  return [
    ...planned.map((n) => join(paths.data, n)),
    ...planned.map((n) => join(paths.logs, `${n}.log`)),
    join(paths.logs, 'grpc-proxy.log'),
    ...(stored.tls ? [join(paths.root, 'pki')] : []),
    paths.plan,
    paths.state,
  ];
}

/** Deletes these paths, then logs/ and data/ when that left them empty. */
export function removeOwned(paths: StatePaths, owned: readonly string[]): void {
  for (const p of owned) rmSync(p, { recursive: true, force: true });
  removeIfEmpty(paths.data);
  removeIfEmpty(paths.logs);
}

/**
 * `down --clean` (no supervisor runs any more): deletes what etcd-lab made in the dir, its supervisor's files with
 * it, then the dir itself when nothing else is left (a dir given as a symlink stays a link). Returns what was kept
 * (names in the dir, not etcd-lab's) and whether the dir itself went.
 */
export function removeStateDir(dir: string): { kept: string[]; removedDir: boolean } {
  const paths = statePaths(dir);
  const owned = existsSync(paths.plan) || !onlyRunnerFiles(paths) ? ownedFiles(dir, paths, 'down --clean') : runnerFiles(paths);
  removeOwned(paths, [...owned, paths.supervisorLog, paths.sock, paths.lock]);
  const kept = readdirSync(dir);
  const removedDir = kept.length === 0 && !lstatSync(dir).isSymbolicLink();
  if (removedDir) rmdirSync(dir);
  return { kept, removedDir };
}

/** What a dir without a plan holds when etcd-lab alone wrote it (a failed first start, `etcd-lab start`'s dir). */
const RUNNER_NAMES = new Set(['logs', 'data', 'supervisor.log', 'supervisor.lock', 'control.sock', 'state.json']);

/**
 * Whether the dir holds only what a supervisor or Procfile runner writes without a plan: those names, logs/ with
 * only *.log files, data/ empty, and at least one of its own files (an empty dir or a bare logs/ is not proof).
 */
function onlyRunnerFiles(paths: StatePaths): boolean {
  const names = readdirSync(paths.root);
  if (!names.some((n) => n === 'supervisor.log' || n === 'supervisor.lock' || n === 'state.json')) return false;
  if (!names.every((n) => RUNNER_NAMES.has(n))) return false;
  const inside = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
  return inside(paths.logs).every((n) => n.endsWith('.log')) && inside(paths.data).length === 0;
}

function runnerFiles(paths: StatePaths): string[] {
  const logs = existsSync(paths.logs) ? readdirSync(paths.logs).map((n) => join(paths.logs, n)) : [];
  return [...logs, paths.state];
}

function removeIfEmpty(path: string): void {
  try {
    if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
  } catch {
    /* absent */
  }
}
