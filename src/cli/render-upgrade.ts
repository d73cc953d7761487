import type { UpgradeResult } from '../supervisor/upgrade.js';

function secs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per member with its timings, then the cluster version. */
export function renderUpgrade(r: UpgradeResult): string {
  const w = Math.max(...r.members.map((m) => m.member.length));
  const lines = r.members.map((m) => {
    const name = m.member.padEnd(w);
    if (m.action === 'unchanged') return `${name}  ${m.from}, unchanged (it runs etcd ${m.to} already)`;
    const role = m.action === 'started' ? 'was down' : m.wasLeader ? 'leader  ' : 'follower';
    const stop = m.stopMs === null ? '' : `stop ${m.stopMs} ms${m.stopped === 'killed' ? ' (SIGKILLed)' : ''}, `;
    const after = m.wasLeader && m.leaderAfter !== null ? `; leader now ${m.leaderAfter}` : '';
    return `${name}  ${m.from} -> ${m.to}  ${role}  ${stop}start ${m.startMs} ms, ready ${m.readyMs} ms: ${m.totalMs} ms${after}`;
  });
  const moved = r.members.filter((m) => m.action !== 'unchanged').length;
  if (moved === 0) return `${lines.join('\n')}\nnothing to do: cluster version ${r.clusterVersion ?? 'unknown'}, leader ${r.leader ?? 'none'}\n`;
  const reached =
    r.clusterVersion === r.expectedClusterVersion
      ? moved > 0 && r.clusterVersionMs !== null && r.clusterVersionMs > 0
        ? ` (${secs(r.clusterVersionMs)} after the last member)`
        : ''
      : ` (not yet ${r.expectedClusterVersion}: etcd's leader raises it once it sees every member's version)`;
  lines.push(
    `cluster version ${r.clusterVersion ?? 'unknown'}${reached}; ${moved} member${moved === 1 ? '' : 's'} on etcd ${r.version} in ${secs(r.elapsedMs)}, leader ${r.leader ?? 'none'}`,
  );
  return `${lines.join('\n')}\n`;
}
