// Snapshots: save one from a running member (atomically, to a file), and restore one into the data dirs of a new cluster.
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, LabError } from '../errors.js';
import { etcdctlNextTo } from '../etcd/binary.js';
import { runCapture } from '../etcd/run-capture.js';
import { shellQuote } from '../plan/quote.js';
import type { ClusterPlan, EtcdVersion } from '../plan/types.js';
import { fsyncDir, liveSupervisor, statePaths, tempPathFor, writeJsonAtomic } from './state-dir.js';
import type { StatusReport } from './status.js';

export interface SnapshotTools {
  etcdctl: string | null;
  /** Present from etcd 3.5 on, where offline snapshot work (status, restore) moved from etcdctl. */
  etcdutl: string | null;
  version: EtcdVersion;
}

/** What `snapshot status` says of a snapshot file. */
export interface SnapshotInfo {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** etcdctl and etcdutl of the etcd binary at `etcdPath` (next to it, else on PATH). */
export function snapshotTools(etcdPath: string, version: EtcdVersion, env: NodeJS.ProcessEnv = process.env): SnapshotTools {
  return { ...etcdctlNextTo(etcdPath, env), version };
}

function noTool(what: string, tools: SnapshotTools): LabError {
  return new LabError('ETCD_NOT_FOUND', `no ${what} found next to the etcd binary or on PATH (needed for snapshots, etcd ${tools.version.text})`, {
    hint: 'install the etcd client tools (Debian/Ubuntu: sudo apt-get install etcd-client), or put etcdctl/etcdutl next to etcd',
  });
}

/** The offline tool (status, restore): etcdutl on 3.5+ when present, else etcdctl (3.5 still has them; 3.6 dropped them). */
function offlineTool(tools: SnapshotTools): { path: string; name: string } {
  const v = tools.version;
  const modern = v.major > 3 || (v.major === 3 && v.minor >= 5);
  if (modern && tools.etcdutl) return { path: tools.etcdutl, name: 'etcdutl' };
  if (v.major > 3 || (v.major === 3 && v.minor >= 6)) {
    throw new LabError('ETCD_NOT_FOUND', `no etcdutl found next to the etcd binary or on PATH: etcd ${v.text} removed \`etcdctl snapshot status/restore\`, so snapshot restore needs etcdutl`, {
      hint: `put the etcdutl of the same etcd release next to etcd (it ships in the release archive beside etcd and etcdctl), or use an etcd 3.5 or 3.4 binary with --etcd`,
    });
  }
  if (tools.etcdctl) return { path: tools.etcdctl, name: 'etcdctl' };
  if (tools.etcdutl) return { path: tools.etcdutl, name: 'etcdutl' };
  throw noTool(modern ? 'etcdutl or etcdctl' : 'etcdctl', tools);
}

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  error: Error | null;
}

/** The environment for etcdctl/etcdutl: the user's ETCDCTL_* would clash with our flags (etcdctl refuses both). */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const up = k.toUpperCase();
    if (!up.startsWith('ETCDCTL_') && !up.startsWith('ETCDUTL_')) env[k] = v;
  }
  env.ETCDCTL_API = '3';
  return env;
}

function runTool(path: string, args: string[], timeoutMs: number): Promise<ToolRun> {
  // Not in its own group: Ctrl-C on the CLI stops the tool too.
  return runCapture(path, args, toolEnv(), timeoutMs, null, { group: false, maxChars: 1 << 20 });
}

/** etcdctl's own error line ("Error: ..."), else its last non-log line. */
function toolMessage(r: ToolRun): string {
  if (r.error) return r.error.message;
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const err = lines.filter((l) => /^Error:/i.test(l)).pop();
  if (err) return err.replace(/^Error:\s*/i, '');
  const plain = lines.filter((l) => !l.startsWith('{')).pop();
  return plain ?? lines.pop() ?? `exit code ${r.code}`;
}

/** The last lines of a tool's output, for the error details. */
function toolTail(r: ToolRun, n = 8): string[] {
  return `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').slice(-n);
}

function parseStatus(stdout: string): SnapshotInfo | null {
  for (const line of stdout.split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as Partial<SnapshotInfo>;
      if (typeof v.revision === 'number' && typeof v.totalKey === 'number' && typeof v.totalSize === 'number') {
        return { hash: v.hash ?? 0, revision: v.revision, totalKey: v.totalKey, totalSize: v.totalSize };
      }
    } catch {
      /* not the status line */
    }
  }
  return null;
}

/**
 * Reads a snapshot file with `snapshot status`. Throws SNAPSHOT (exit 2) when the file is missing or is not an
 * etcd snapshot (etcdctl cannot open it as a bbolt database).
 */
export async function snapshotStatus(file: string, tools: SnapshotTools, opts: { timeoutMs?: number } = {}): Promise<SnapshotInfo> {
  const abs = resolve(file);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    throw new LabError('SNAPSHOT', `${file}: no such file`, { exitCode: EXIT.usage, hint: 'give the path of a file written by `etcd-lab snapshot save` or `etcdctl snapshot save`' });
  }
  if (!isFile) throw new LabError('SNAPSHOT', `${file} is not a file`, { exitCode: EXIT.usage });
  const tool = offlineTool(tools);
  const r = await runTool(tool.path, ['snapshot', 'status', abs, '--write-out', 'json'], opts.timeoutMs ?? 30_000);
  const info = r.code === 0 ? parseStatus(r.stdout) : null;
  if (info === null) {
    throw new LabError('SNAPSHOT', `${file} is not an etcd snapshot: ${tool.name} snapshot status says "${r.timedOut ? 'timed out' : toolMessage(r)}"`, {
      exitCode: EXIT.usage,
      hint: 'give a file written by `etcd-lab snapshot save` or `etcdctl snapshot save`',
    });
  }
  return info;
}

/** The leader of a status report (its name and client URL), or NOT_READY when no answering member knows one. */
export function leaderOf(report: StatusReport): { name: string; clientURL: string } {
  const m = report.leader === null ? undefined : report.members.find((x) => x.name === report.leader);
  if (!m) {
    const states = report.members.map((x) => `${x.name} ${x.state}`).join(', ');
    throw new LabError('NOT_READY', `the cluster in ${report.dir} has no leader right now (${states})`, {
      hint: `wait for an election, heal faults (etcd-lab heal), or see \`etcd-lab status --dir ${shellQuote(report.dir)}\``,
    });
  }
  return { name: m.name, clientURL: m.clientURL };
}

function removeQuietly(...paths: string[]): void {
  for (const p of paths) rmSync(p, { force: true, recursive: true });
}

function fileExists(file: string): LabError {
  return new LabError('FILE_EXISTS', `${file} already exists`, { hint: 'pass --force to replace it, or choose another file name' });
}

export interface SaveOptions {
  /** Client URL of the member to read the snapshot from (the leader). */
  endpoint: string;
  file: string;
  tools: SnapshotTools;
  /** Replace an existing file (atomically). */
  force?: boolean;
  timeoutMs?: number;
  /** The cluster's CA and client certificate, for a TLS cluster. */
  tls?: { caFile: string; certFile: string; keyFile: string } | null;
}

export interface SavedSnapshot extends SnapshotInfo {
  file: string;
  endpoint: string;
  elapsedMs: number;
}

/**
 * `etcdctl snapshot save` into a temp file next to `file`, checked with `snapshot status`, then moved into place:
 * `file` is either the whole snapshot or untouched. Without `force` an existing file is refused (FILE_EXISTS).
 */
export async function saveSnapshot(o: SaveOptions): Promise<SavedSnapshot> {
  const t0 = performance.now();
  const file = resolve(o.file);
  const folder = dirname(file);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new LabError('USAGE', `cannot write ${o.file}: the folder ${folder} does not exist`, { hint: `create it first: mkdir -p ${shellQuote(folder)}` });
  }
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new LabError('USAGE', `${o.file} is a folder`, { hint: 'give a file name, e.g. backup.db' });
    if (!o.force) throw fileExists(o.file);
  }
  if (!o.tools.etcdctl) throw noTool('etcdctl', o.tools);
  const timeoutMs = o.timeoutMs ?? 120_000;
  const tmp = tempPathFor(file);
  // etcdctl itself writes <target>.part first, then renames it to <target>.
  const leftovers = [tmp, `${tmp}.part`];
  try {
    const tls = o.tls ? ['--cacert', o.tls.caFile, '--cert', o.tls.certFile, '--key', o.tls.keyFile] : [];
    const r = await runTool(o.tools.etcdctl, ['--endpoints', o.endpoint, ...tls, '--dial-timeout', '3s', 'snapshot', 'save', tmp], timeoutMs);
    if (r.code !== 0 || !existsSync(tmp)) {
      throw new LabError('SNAPSHOT', `etcdctl snapshot save from ${o.endpoint} failed: ${r.timedOut ? `no snapshot within ${timeoutMs / 1000} s` : toolMessage(r)}`, {
        details: toolTail(r),
        hint: 'check the cluster with `etcd-lab status`; nothing was written',
      });
    }
    const info = await snapshotStatus(tmp, o.tools).catch((e: unknown) => {
      throw new LabError('SNAPSHOT', `the snapshot etcdctl saved from ${o.endpoint} does not read back: ${(e as Error).message}`, { cause: e });
    });
    if (o.force) {
      renameSync(tmp, file);
    } else {
      try {
        linkSync(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw fileExists(o.file);
        throw e;
      }
      unlinkSync(tmp);
    }
    fsyncDir(folder);
    return { ...info, file, endpoint: o.endpoint, elapsedMs: Math.round(performance.now() - t0) };
  } finally {
    removeQuietly(...leftovers);
  }
}

/** Throws unless `dir` is free for a new cluster: no supervisor, no plan.json, nothing in its data folder. */
export function assertNoCluster(dir: string): void {
  const paths = statePaths(dir);
  const live = liveSupervisor(dir);
  if (live) {
    throw new LabError('DIR_IN_USE', `a cluster is running in ${paths.root} (supervisor pid ${live.pid}); restore needs a new state dir`, {
      hint: 'restore into another --dir',
    });
  }
  const data = existsSync(paths.data) ? readdirSync(paths.data) : [];
  if (existsSync(paths.plan) || data.length > 0) {
    throw new LabError('DIR_MISMATCH', `${paths.root} already holds a cluster (${existsSync(paths.plan) ? 'plan.json' : `data of ${data.join(', ')}`}); restore needs a new state dir`, {
      hint: `restore into another --dir, or delete that cluster first with \`etcd-lab down --clean --dir ${shellQuote(paths.root)}\``,
    });
  }
}

export interface RestoreOptions {
  file: string;
  /** The new cluster: its `dir` and members' data dirs are where the snapshot goes. */
  plan: ClusterPlan;
  tools: SnapshotTools;
  /** For a bbolt file copied out of a data dir (no snapshot hash appended). */
  skipHashCheck?: boolean;
  timeoutMs?: number;
  onMember?: (name: string) => void;
}

export interface RestoredSnapshot extends SnapshotInfo {
  dir: string;
  tool: string;
  elapsedMs: number;
}

/**
 * Restores `file` into a new cluster's state dir: one data dir per member (`snapshot restore` with the plan's
 * names, peer URLs and token), then plan.json, last, so `etcd-lab up --dir` resumes it. On any failure the data
 * dirs made here are removed again and no plan.json is written.
 */
export async function restoreSnapshot(o: RestoreOptions): Promise<RestoredSnapshot> {
  const t0 = performance.now();
  const dir = resolve(o.plan.dir);
  const paths = statePaths(dir);
  assertNoCluster(dir);
  const info = await snapshotStatus(o.file, o.tools);
  const tool = offlineTool(o.tools);
  const timeoutMs = o.timeoutMs ?? 120_000;
  const rootExisted = existsSync(paths.root);
  const dataExisted = existsSync(paths.data);
  const made: string[] = [];
  mkdirSync(paths.data, { recursive: true });
  try {
    for (const m of o.plan.members) {
      o.onMember?.(m.name);
      const dataDir = resolve(dir, m.dataDir);
      made.push(dataDir);
      const args = [
        'snapshot', 'restore', resolve(o.file),
        '--name', m.name,
        '--initial-cluster', o.plan.initialCluster,
        '--initial-cluster-token', o.plan.token,
        '--initial-advertise-peer-urls', m.peerURL,
        '--data-dir', dataDir,
        ...(o.skipHashCheck ? ['--skip-hash-check'] : []),
      ];
      const r = await runTool(tool.path, args, timeoutMs);
      if (r.code !== 0) {
        throw new LabError('SNAPSHOT', `${tool.name} snapshot restore for ${m.name} failed: ${r.timedOut ? `not done within ${timeoutMs / 1000} s` : toolMessage(r)}`, {
          details: toolTail(r),
          hint: /hash/i.test(toolMessage(r))
            ? 'a db file copied out of a data dir has no snapshot hash: pass --skip-hash-check'
            : `nothing was kept in ${paths.root}`,
        });
      }
    }
    writeJsonAtomic(paths.plan, o.plan);
  } catch (e) {
    removeQuietly(...made);
    if (!dataExisted) removeQuietly(paths.data);
    if (!rootExisted) {
      try {
        rmdirSync(paths.root);
      } catch {
        /* something else was put there meanwhile: leave it */
      }
    }
    throw e;
  }
  return { ...info, dir, tool: tool.name, elapsedMs: Math.round(performance.now() - t0) };
}
