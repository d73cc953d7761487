import { LabError } from '../errors.js';
import type { EtcdVersion } from './types.js';

/** Flags every member needs for this etcd version, on top of the cluster flags. */
export function dialectArgs(v: EtcdVersion): string[] {
  // 3.4 logs through the deprecated capnslog unless told otherwise; zap JSON is what the log parser reads.
  // Pre-vote is on by default from 3.5; on 3.4 it is asked for, so that every version elects the same way, and a
  // member that missed the new leader's first heartbeat (one that started late, or was slow) cannot depose it.
  if (v.major === 3 && v.minor === 4) return ['--logger=zap', '--log-outputs=stderr', '--pre-vote'];
  return [];
}

/** 3.6 removed the v2 API and the v2 proxy: `etcd --help` of 3.6.14 lists none of these (3.4 and 3.5 do). */
function removedIn36(flag: string): boolean {
  return flag === '--enable-v2' || flag === '--proxy' || flag.startsWith('--proxy-');
}

function atLeast36(v: EtcdVersion): boolean {
  return v.major > 3 || (v.major === 3 && v.minor >= 6);
}

/**
 * User-supplied flags this etcd version does not have: etcd would refuse to start, so the plan is refused first.
 * `where` names the place they came from (e.g. "--extra-arg", "extra args of m2").
 */
export function checkDialect(v: EtcdVersion, args: readonly string[], where: string): void {
  if (!atLeast36(v)) return;
  const removed = args.map((a) => a.split('=')[0]!).filter(removedIn36);
  if (removed.length === 0) return;
  throw new LabError('BAD_VERSION', `${where}: ${removed.join(', ')} ${removed.length === 1 ? 'was' : 'were'} removed in etcd 3.6 (the v2 API and v2 proxy); etcd ${v.text} would refuse to start`, {
    hint: `drop ${removed.length === 1 ? 'it' : 'them'}, or run etcd 3.5 (--etcd-version 3.5, or --etcd pointing at a 3.5 binary)`,
  });
}

/** Warnings about user-supplied flags that this etcd version deprecates (3.6: every --experimental-* flag). */
export function dialectWarnings(v: EtcdVersion, args: string[]): string[] {
  const out: string[] = [];
  if (!atLeast36(v)) return out;
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (flag.startsWith('--experimental-')) out.push(`${flag} is deprecated in etcd 3.6 and removed in 3.7 (planning for ${v.text})`);
  }
  return out;
}

export function versionLabel(v: EtcdVersion): string {
  return `${v.major}.${v.minor}`;
}
