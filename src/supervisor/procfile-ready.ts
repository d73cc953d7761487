// When a Procfile's etcd members form a cluster: every etcd entry answers a status request and one leader is
// claimed. `start -f` reports it ("cluster ready in"), counted from the command's start, as `up` does.
import { performance } from 'node:perf_hooks';
import type { StatusReport } from './status.js';

const POLL_MS = 15;

/** True when every etcd entry (one with a client URL) answered and a leader is claimed. PURE. */
export function procfileClusterReady(report: StatusReport): boolean {
  const etcd = report.members.filter((m) => m.clientURL !== '');
  return etcd.length > 0 && report.leader !== null && etcd.every((m) => m.id !== null);
}

/**
 * Polls `status` until the etcd entries are ready (resolves with the leader and the ms since the call), or resolves
 * null once `until` is aborted or `timeoutMs` passes, or at once when the Procfile runs no etcd member.
 */
export async function waitProcfileReady(
  status: () => Promise<StatusReport>,
  o: { until: AbortSignal; timeoutMs: number },
): Promise<{ leader: string; waitedMs: number } | null> {
  const t0 = performance.now();
  for (;;) {
    if (o.until.aborted || performance.now() - t0 > o.timeoutMs) return null;
    const report = await status();
    if (!report.members.some((m) => m.clientURL !== '')) return null;
    if (procfileClusterReady(report)) return { leader: report.leader!, waitedMs: Math.round(performance.now() - t0) };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
