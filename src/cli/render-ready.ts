import { shellQuote } from '../plan/quote.js';
import type { ClusterPlan } from '../plan/types.js';

/** etcdctl's TLS variables for a TLS cluster (the plan's pki paths are absolute once `up` has planned them). */
function tlsVariables(plan: ClusterPlan): string {
  if (!plan.tls) return '';
  const { caFile, certFile, keyFile } = plan.tls;
  return ` ETCDCTL_CACERT=${shellQuote(caFile)} ETCDCTL_CERT=${shellQuote(certFile)} ETCDCTL_KEY=${shellQuote(keyFile)}`;
}

/** What `up` prints once the cluster is ready: endpoints, leader, and the line to paste into a shell. Pure. */
export function renderReady(plan: ClusterPlan, ready: { leader: string; elapsedMs: number }, extra: string[] = []): string {
  const n = plan.members.length;
  const width = Math.max(...plan.members.map((m) => m.name.length));
  const lines = [
    `cluster ready in ${ready.elapsedMs} ms: ${n} member${n === 1 ? '' : 's'}, quorum ${plan.quorum}, leader ${ready.leader}${plan.chaos ? ', chaos mode' : ''}${plan.tls ? ', TLS' : ''}`,
    ...plan.members.map((m) => `  ${m.name.padEnd(width)}  ${m.clientURL}${m.name === ready.leader ? '  (leader)' : ''}`),
    ...extra,
    `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${plan.members.map((m) => m.clientURL).join(',')}${tlsVariables(plan)}`,
  ];
  return `${lines.join('\n')}\n`;
}
