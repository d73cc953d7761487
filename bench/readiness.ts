// The readiness check both sides are held to: every member's /health true and all naming one leader.
import { performance } from 'node:perf_hooks';
import { EtcdClient } from '../src/etcd/client.js';
import { sleep } from './stats.js';

const CALL_MS = 300;

async function view(c: EtcdClient): Promise<string | null | undefined> {
  try {
    if (!(await c.health({ timeoutMs: CALL_MS })).healthy) return undefined;
    return (await c.status({ timeoutMs: CALL_MS })).leader;
  } catch {
    return undefined;
  }
}

/** Polls every `intervalMs` until ready; resolves with the leader's hex ID, or throws after `timeoutMs`. */
export async function waitReady(endpoints: string[], opts: { intervalMs?: number; timeoutMs?: number } = {}): Promise<string> {
  const clients = endpoints.map((e) => new EtcdClient(e, { timeoutMs: CALL_MS }));
  const deadline = performance.now() + (opts.timeoutMs ?? 30_000);
  try {
    for (;;) {
      const views = await Promise.all(clients.map(view));
      const first = views[0];
      if (typeof first === 'string' && views.every((v) => v === first)) return first;
      if (performance.now() > deadline) throw new Error(`not ready within ${opts.timeoutMs ?? 30_000} ms: ${JSON.stringify(views)}`);
      await sleep(opts.intervalMs ?? 10);
    }
  } finally {
    for (const c of clients) c.close();
  }
}
