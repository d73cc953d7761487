// Members left running by a supervisor that died (SIGKILL, crash): find them, and stop them.
// Only a process that is provably our etcd is touched: etcd's executable AND a --data-dir inside this dir's
// data folder. A pid from state.json alone proves nothing (pids are reused).
import { existsSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { flagValue } from '../plan/go-flags.js';
import { shellQuote } from '../plan/quote.js';
import { pidAlive, processArgv, processCwd, processExe, processGroup, processStartToken, processTable } from './proc-info.js';
import type { EtcdTlsOptions } from '../etcd/client.js';
import type { ClusterPlan } from '../plan/types.js';
import { clientTlsFor } from './pki.js';
import { liveSupervisor, readJson, readState, statePaths } from './state-dir.js';

export interface StaleMember {
  /** The member name (from state.json, else etcd's --name), null when neither says. */
  name: string | null;
  pid: number;
  /** The member's data dir, absolute. */
  dataDir: string;
  /** Where it was found: listed in state.json, or only by scanning the process table. */
  from: 'state' | 'scan';
}

export interface ReapedMember {
  name: string | null;
  pid: number;
  /** terminated: exited on SIGTERM; killed: needed SIGKILL; survived: still there after SIGKILL and the wait. */
  outcome: 'terminated' | 'killed' | 'survived';
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isEtcdExecutable(pid: number, argv0: string, etcdPath: string | undefined): boolean {
  if (basename(argv0) === 'etcd') return true;
  const exe = processExe(pid);
  if (exe !== null && basename(exe) === 'etcd') return true;
  if (etcdPath === undefined || etcdPath === '') return false;
  return argv0 === etcdPath || (exe !== null && exe === realOrSelf(etcdPath));
}

/** If `pid` runs our etcd (see the top of this file), its name and data dir. `argv`: already read. */
function ourEtcd(
  pid: number,
  dataRoots: string[],
  etcdPath: string | undefined,
  argv: string[] | null = processArgv(pid),
): { name: string | null; dataDir: string } | null {
  if (argv === null || argv.length === 0) return null;
  const value = flagValue(argv, 'data-dir');
  if (value === null || !isEtcdExecutable(pid, argv[0]!, etcdPath)) return null;
  let dataDir: string;
  if (isAbsolute(value)) dataDir = value;
  else {
    // Relative to the member's own working directory; without /proc we can only guess ours.
    const cwd = processCwd(pid) ?? (process.platform === 'linux' ? null : process.cwd());
    if (cwd === null) return null;
    dataDir = resolve(cwd, value);
  }
  const candidates = [dataDir, realOrSelf(dataDir)];
  if (!dataRoots.some((root) => candidates.some((c) => isInside(root, c)))) return null;
  return { name: flagValue(argv, 'name'), dataDir };
}

/**
 * How far to look: `always` scans the process table (`down`, `status`: they also find the members of a dir deleted
 * while they ran); `if-data` only when `<dir>/data` exists (a start: no member of ours runs without that folder, as
 * every --data-dir is inside it and etcd makes its data dir as it starts, and the scan is on the way to the first
 * spawn, twice: ~2 ms for 70 processes, ~11 ms for 370 on a 2-core VM).
 */
export type StaleScan = 'always' | 'if-data';

/**
 * Our etcd processes still running for the state dir `dir`: the members state.json lists, plus any etcd
 * whose --data-dir lies in `<dir>/data` (a supervisor can die before it writes state.json), found by a scan of the
 * process table as `scan` says.
 */
export function findStaleMembers(dir: string, scan: StaleScan = 'always'): StaleMember[] {
  const paths = statePaths(dir);
  const dataRoots = [...new Set([paths.data, existsSync(paths.data) ? realpathSync(paths.data) : paths.data])];
  const state = readState(dir);
  const found = new Map<number, StaleMember>();
  for (const m of state?.members ?? []) {
    if (m.pid === null || m.pid === process.pid || !pidAlive(m.pid)) continue;
    const etcd = ourEtcd(m.pid, dataRoots, m.etcdPath ?? state?.etcdPath);
    if (etcd !== null) found.set(m.pid, { name: m.name, pid: m.pid, dataDir: etcd.dataDir, from: 'state' });
  }
  // A start in a dir with no data folder does not scan (StaleScan); a member whose folder was deleted while it ran
  // then holds its ports, and `up` says they are in use (`down` still finds it).
  if (scan === 'if-data' && !existsSync(paths.data)) return [...found.values()].sort((a, b) => a.pid - b.pid);
  // A process without --data-dir is not ours: it costs one read of its argv here, and nothing more.
  for (const { pid, argv } of processTable()) {
    if (pid === process.pid || found.has(pid) || flagValue(argv, 'data-dir') === null || !pidAlive(pid)) continue;
    const etcd = ourEtcd(pid, dataRoots, state?.etcdPath, argv);
    if (etcd !== null) found.set(pid, { name: etcd.name, pid, dataDir: etcd.dataDir, from: 'scan' });
  }
  return [...found.values()].sort((a, b) => a.pid - b.pid);
}

/** Signals the process group when the member leads one (its own children go too), else the process. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(processGroup(pid) === pid ? -pid : pid, sig);
  } catch {
    /* already gone */
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const LEADER_PAUSE_MS = 150;

/** The client certificate of the cluster stored in `dir` when it runs with TLS (undefined without, or unreadable). */
function storedClientTls(dir: string): EtcdTlsOptions | undefined {
  try {
    return clientTlsFor(readJson<ClusterPlan>(statePaths(dir).plan));
  } catch {
    return undefined;
  }
}

/** The pid of the stale member that leads, asked through its client port (short timeouts; null when unknown). */
async function staleLeaderPid(dir: string, stale: { name: string | null; pid: number }[]): Promise<number | null> {
  let state: ReturnType<typeof readState>;
  try {
    state = readState(dir);
  } catch {
    return null;
  }
  if (!state || stale.length < 2) return null;
  const { EtcdClient } = await import('../etcd/client.js');
  const tls = storedClientTls(dir);
  const answers = await Promise.all(
    stale.map(async (m) => {
      const port = state!.members.find((x) => x.name === m.name)?.clientPort;
      if (port === undefined) return null;
      const c = new EtcdClient(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, { timeoutMs: 300, tls });
      try {
        const s = await c.status();
        return { pid: m.pid, id: s.memberId, leader: s.leader };
      } catch {
        return null;
      } finally {
        c.close();
      }
    }),
  );
  const leaderId = answers.find((a) => a?.leader)?.leader;
  return answers.find((a) => a && a.id === leaderId)?.pid ?? null;
}

/**
 * Stops the stale members of `dir`: SIGTERM, then SIGKILL after `graceMs`, then a bounded wait.
 * Refuses (DIR_IN_USE) while another live supervisor owns the dir: its members are not stale.
 */
export async function reapStale(
  dir: string,
  { graceMs = 3000, killWaitMs = 2000, scan = 'always' }: { graceMs?: number; killWaitMs?: number; scan?: StaleScan } = {},
): Promise<ReapedMember[]> {
  const owner = liveSupervisor(dir);
  if (owner !== null && owner.pid !== process.pid) {
    throw new LabError('DIR_IN_USE', `${dir} is run by the live etcd-lab supervisor pid ${owner.pid}; its members are not stale`, {
      hint: `stop it with \`etcd-lab down --dir ${shellQuote(dir)}\``,
    });
  }
  const stale = findStaleMembers(dir, scan).map((m) => ({ ...m, start: processStartToken(m.pid) }));
  if (stale.length === 0) return [];
  // Followers first, the leader last: a leader stopped while its followers are still up hands leadership to one
  // of them, which may be going away too, and then waits for etcd's request timeout.
  const leaderPid = await staleLeaderPid(dir, stale);
  const followers = stale.filter((m) => m.pid !== leaderPid);
  for (const m of followers) signal(m.pid, 'SIGTERM');
  await waitGone(followers.map((m) => m.pid), graceMs);
  if (leaderPid !== null) {
    await new Promise((r) => setTimeout(r, LEADER_PAUSE_MS));
    signal(leaderPid, 'SIGTERM');
    await waitGone([leaderPid], graceMs);
  }
  // Only the same process gets SIGKILL: its pid could have been reused since the SIGTERM.
  const same = (m: (typeof stale)[number]) => pidAlive(m.pid) && (m.start === null || processStartToken(m.pid) === m.start);
  const stubborn = stale.filter(same);
  for (const m of stubborn) signal(m.pid, 'SIGKILL');
  await waitGone(stubborn.map((m) => m.pid), killWaitMs);
  return stale.map((m) => ({
    name: m.name,
    pid: m.pid,
    outcome: !stubborn.includes(m) ? 'terminated' : same(m) ? 'survived' : 'killed',
  }));
}
