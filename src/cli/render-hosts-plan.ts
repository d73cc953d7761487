import { zoneLines } from '../plan/bootstrap.js';
import type { HostsPlan } from '../plan/hosts.js';
import { shellJoin } from '../plan/quote.js';

/** How the members of a plan bootstrap, and what must exist before they start, as lines for a person. */
export function bootstrapLines(plan: HostsPlan): string[] {
  const b = plan.bootstrap;
  switch (b.mode) {
    case 'static':
      return ['bootstrap static: every member is given --initial-cluster'];
    case 'discovery':
      return b.protocol === 'v2'
        ? [`bootstrap discovery (v2 protocol, etcd ${plan.etcdVersion.text}): ${b.url}`,
           `  before the members start, on the discovery cluster (v2 API, --enable-v2):`,
           `  curl -X PUT ${b.sizeURL} -d value=${b.size}`]
        : [`bootstrap discovery (v3 protocol, etcd ${plan.etcdVersion.text}): token ${b.token} on ${b.endpoints.join(',')}`,
           '  before the members start, on the discovery cluster:',
           `  etcdctl --endpoints ${b.endpoints.join(',')} put ${b.sizeKey} ${b.size}`];
    case 'dns':
      return [`bootstrap dns: --discovery-srv ${b.domain}; the DNS server must answer these records:`, ...zoneLines(b).map((l) => `  ${l}`)];
  }
}

/** The multi-host plan as text: summary, bootstrap, one block per host. */
export function renderHostsPlan(plan: HostsPlan, etcdPath: string | null): string {
  const n = plan.members.length;
  const lines = [
    `cluster   ${n} hosts, one member each, quorum ${plan.quorum}, tolerates ${plan.faultTolerance} failure${plan.faultTolerance === 1 ? '' : 's'}`,
    `etcd      ${plan.etcdVersion.text}${etcdPath ? ` (${etcdPath})` : ' (planned, not installed)'}`,
    `timing    ${plan.profile}: heartbeat ${plan.heartbeatInterval} ms, election timeout ${plan.electionTimeout} ms`,
    `token     ${plan.token}`,
    ...bootstrapLines(plan),
    '',
  ];
  for (const m of plan.members) {
    lines.push(`${m.name} on ${m.address}`);
    lines.push(`  client  ${m.clientURL} (listens on ${m.listenClientURLs.join(', ')})`);
    lines.push(`  peer    ${m.peerURL}${m.listenPeerURL !== m.peerURL ? ` (listens on ${m.listenPeerURL})` : ''}`);
    lines.push(`  data    ${m.dataDir}`);
    if (m.sans.length > 0) lines.push(`  cert    ${m.sans.join(', ')}`);
    lines.push(`  args    ${shellJoin(m.args)}`);
    lines.push('');
  }
  lines.push(`endpoints ${plan.endpoints}`);
  return `${lines.join('\n')}\n`;
}
