// How a member's process is made: its command line (the plan's arguments with the data dir made absolute), its
// environment, its log file, and the folders it needs. The cluster (cluster.ts) and the background supervisor's first
// stage (early-start.ts) start members this one way.
import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { memberEnv } from '../etcd/member-env.js';
import type { MemberPlan } from '../plan/types.js';
import type { SpawnSpec } from './spawn-process.js';

export interface MemberPaths {
  /** What the plan's relative paths are relative to (the process's cwd too). */
  baseDir: string;
  /** The state dir: logs/ and data/ are in it. */
  stateDir: string;
  /** The etcd binary of members whose plan names none. */
  etcdPath: string;
}

/** `args` with `--data-dir` set to `dataDir` (replaced where given, else added). */
export function dataDirArgs(args: string[], dataDir: string): string[] {
  const out = [...args];
  const i = out.indexOf('--data-dir');
  if (i >= 0) out[i + 1] = dataDir;
  else {
    const j = out.findIndex((a) => a.startsWith('--data-dir='));
    if (j >= 0) out[j] = `--data-dir=${dataDir}`;
    else out.push('--data-dir', dataDir);
  }
  return out;
}

export function memberLogFile(stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name}.log`);
}

/** The member's process: etcd with its arguments, in `baseDir`, the member environment, its output into its log. */
export function memberSpawnSpec(mp: MemberPlan, p: MemberPaths, parentEnv: NodeJS.ProcessEnv = process.env): SpawnSpec {
  return {
    command: { argv: [mp.etcdPath ?? p.etcdPath, ...dataDirArgs(mp.args, resolve(p.baseDir, mp.dataDir))] },
    cwd: p.baseDir,
    env: memberEnv(parentEnv, mp.env),
    logFile: memberLogFile(p.stateDir, mp.name),
    // A member must outlive a supervisor that is SIGKILLed (and be reaped later), not die of SIGPIPE.
    outputToLog: true,
  };
}

/** logs/, data/ and each member's data dir (0700: etcd 3.5+ refuses a data dir that others can read). */
export function prepareMemberDirs(members: readonly MemberPlan[], p: Pick<MemberPaths, 'baseDir' | 'stateDir'>): void {
  mkdirSync(join(p.stateDir, 'logs'), { recursive: true });
  mkdirSync(join(p.stateDir, 'data'), { recursive: true, mode: 0o700 });
  for (const mp of members) {
    const dir = resolve(p.baseDir, mp.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}
