import type { EtcdVersion } from './types.js';

/** Flags every member needs for this etcd version, on top of the cluster flags. */
export function dialectArgs(v: EtcdVersion): string[] {
  // 3.4 logs through the deprecated capnslog unless told otherwise; zap JSON is what the log parser reads.
  // Pre-vote is on by default from 3.5; on 3.4 it is asked for, so that every version elects the same way, and a
  // member that missed the new leader's first heartbeat (one that started late, or was slow) cannot depose it.
  if (v.major === 3 && v.minor === 4) return ['--logger=zap', '--log-outputs=stderr', '--pre-vote'];
  return [];
}

/** Warnings about user-supplied flags that this etcd version rejects or deprecates. */
export function dialectWarnings(v: EtcdVersion, args: string[]): string[] {
  const out: string[] = [];
  const newer = v.major > 3 || (v.major === 3 && v.minor >= 6);
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (newer && (flag === '--enable-v2' || flag.startsWith('--proxy') || flag.startsWith('--v2-'))) {
      out.push(`${flag} was removed in etcd 3.6 (planning for ${v.text}); etcd will refuse to start`);
    } else if (newer && flag.startsWith('--experimental-')) {
      out.push(`${flag} is deprecated in etcd 3.6 and removed in 3.7 (planning for ${v.text})`);
    }
  }
  return out;
}

export function versionLabel(v: EtcdVersion): string {
  return `${v.major}.${v.minor}`;
}
