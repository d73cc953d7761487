import type { ClusterPlan } from '../plan/types.js';
import { shellJoin } from '../plan/quote.js';

/** The plan as text for a person: summary, then one block per member. */
export function renderPlan(plan: ClusterPlan, etcdPath: string | null): string {
  const n = plan.members.length;
  const lines = [
    `cluster   ${n} member${n === 1 ? '' : 's'}, quorum ${plan.quorum}, tolerates ${plan.faultTolerance} failure${plan.faultTolerance === 1 ? '' : 's'}`,
    `etcd      ${plan.etcdVersion.text}${etcdPath ? ` (${etcdPath})` : ' (planned, not installed)'}`,
    `timing    ${plan.profile}: heartbeat ${plan.heartbeatInterval} ms, election timeout ${plan.electionTimeout} ms`,
    `token     ${plan.token}`,
    `state dir ${plan.dir}${plan.chaos ? '\nchaos     on: each member\'s peer traffic goes through its own proxy' : ''}`,
    '',
  ];
  for (const m of plan.members) {
    lines.push(`${m.name}`);
    lines.push(`  client  ${m.clientURL}`);
    lines.push(`  peer    ${m.peerURL}${m.listenPeerURL !== m.peerURL ? ` (listens on ${m.listenPeerURL})` : ''}`);
    if (m.proxyPort !== null) lines.push(`  proxy   http://127.0.0.1:${m.proxyPort}`);
    lines.push(`  data    ${m.dataDir}`);
    lines.push(`  args    ${shellJoin(m.args)}`);
    lines.push('');
  }
  lines.push(`endpoints ${plan.members.map((m) => m.clientURL).join(',')}`);
  return `${lines.join('\n')}\n`;
}
