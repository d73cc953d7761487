// A bounded write load: `writers` concurrent loops of EtcdClient.put (one keep-alive connection each) for a fixed time.
import { performance } from 'node:perf_hooks';
import { EtcdClient } from '../src/etcd/client.js';

export interface LoadResult {
  puts: number;
  errors: number;
  seconds: number;
  /** Latency of every successful put, ms. */
  latencies: number[];
}

/** Writer i writes to endpoint i mod n, overwriting its own few keys (the store does not grow without bound). */
export async function writeLoad(endpoints: string[], o: { writers: number; durationMs: number; valueBytes?: number }): Promise<LoadResult> {
  const value = 'v'.repeat(o.valueBytes ?? 64);
  const clients = Array.from({ length: o.writers }, (_, i) => new EtcdClient(endpoints[i % endpoints.length]!, { timeoutMs: 5000 }));
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  try {
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; performance.now() < end; k++) {
          const s = performance.now();
          try {
            await c.put(`bench/w${i}/${k % 16}`, value);
            latencies.push(performance.now() - s);
          } catch {
            errors++;
          }
        }
      }),
    );
  } finally {
    for (const c of clients) c.close();
  }
  return { puts: latencies.length, errors, seconds: (performance.now() - t0) / 1000, latencies };
}
