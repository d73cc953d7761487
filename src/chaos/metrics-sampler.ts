// Samples etcd's own metrics (GET /metrics) from every member during a run, for the run report's charts.
// A member that gives no answer in time (down, paused, partitioned from us) simply has no sample that round.
import { performance } from 'node:perf_hooks';
import type { EtcdClient } from '../etcd/client.js';
import { pickMetrics, SAMPLED_METRICS } from '../etcd/metrics.js';
import type { MetricSample } from '../report/types.js';
import type { Lab } from './lab.js';

export interface MetricsSamplerOptions {
  /** Time between two asks of one member, ms (default 1000). A member still answering when it is due again is skipped. */
  everyMs?: number;
  /** performance.now() of the run's t = 0: sample times are ms since then, like the history's. */
  t0: number;
  /** Bound on one member's answer, ms (default max(everyMs, 1000)): a slow answer on a loaded machine still counts. */
  timeoutMs?: number;
  names?: readonly string[];
}

export interface MetricsSampler {
  /** Stops sampling (waits for the answers in flight, at most `timeoutMs`) and returns every sample, in time order. */
  stop(): Promise<MetricSample[]>;
}

/**
 * Every member is asked on its own: a member that is down, paused or cut off holds up only its own next ask, never
 * the others'. A sample's time is when its answer arrived: the member wrote the values just before (a paused member
 * that is resumed answers the request it held, with values from after its resume).
 */
export function startMetricsSampler(lab: Lab, opts: MetricsSamplerOptions): MetricsSampler {
  const everyMs = opts.everyMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? Math.max(everyMs, 1000);
  const names = opts.names ?? SAMPLED_METRICS;
  const samples: MetricSample[] = [];
  const clients = new Map<string, EtcdClient>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  const client = (member: string): EtcdClient => {
    let c = clients.get(member);
    if (!c) {
      c = lab.etcdClient(member, timeoutMs);
      clients.set(member, c);
    }
    return c;
  };

  const sampleMember = async (member: string): Promise<void> => {
    let text: string;
    try {
      text = await client(member).metricsText({ timeoutMs });
    } catch {
      return; // no answer: no sample (the gap is what the report shows)
    }
    const t = performance.now() - opts.t0;
    // JSON (run.json) cannot hold NaN or Inf; the counters kept here are always finite anyway.
    for (const m of pickMetrics(text, names)) if (Number.isFinite(m.value)) samples.push({ t, member, name: m.name, value: m.value });
  };

  const round = (): void => {
    if (stopped) return;
    for (const member of lab.memberNames) {
      if (inFlight.has(member)) continue;
      inFlight.set(
        member,
        sampleMember(member).finally(() => inFlight.delete(member)),
      );
    }
  };

  round();
  const timer = setInterval(round, everyMs);
  timer.unref?.();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(inFlight.values());
      for (const c of clients.values()) c.close();
      clients.clear();
      return samples.sort((a, b) => a.t - b.t);
    },
  };
}
