import type { ClusterPlan } from '../plan/types.js';

/** What `up` prints once the cluster is ready: endpoints, leader, and the line to paste into a shell. Pure. */
export function renderReady(plan: ClusterPlan, ready: { leader: string; elapsedMs: number }, extra: string[] = []): string {
  const n = plan.members.length;
  const width = Math.max(...plan.members.map((m) => m.name.length));
  const lines = [
    `cluster ready in ${ready.elapsedMs} ms: ${n} member${n === 1 ? '' : 's'}, quorum ${plan.quorum}, leader ${ready.leader}${plan.chaos ? ', chaos mode' : ''}`,
    ...plan.members.map((m) => `  ${m.name.padEnd(width)}  ${m.clientURL}${m.name === ready.leader ? '  (leader)' : ''}`),
    ...extra,
    `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${plan.members.map((m) => m.clientURL).join(',')}`,
  ];
  return `${lines.join('\n')}\n`;
}
