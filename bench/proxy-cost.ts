// (3) Proxy cost: 16 concurrent writers against a 3-member cluster started with --chaos (no faults) and without,
// alternating sides round by round after one uncounted pair; throughput and p99 put latency.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { endpointsFrom, lab, show } from './cli.js';
import { atLeast, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { waitQuiet } from './machine.js';
import { writeLoad, type LoadResult } from './load.js';
import { portBlock } from './ports.js';
import { cpuPercent, sample } from './proc-sample.js';
import { waitReady } from './readiness.js';
import { percentile } from './stats.js';

export interface ProxyOptions {
  rounds: number;
  durationMs: number;
  writers: number;
  log: (s: string) => void;
}

const WARMUP_MS = 500;

interface Side extends LoadResult {
  /** CPU of the supervisor process (where the proxies run) during the load, % of one core. */
  supervisorCpu: number;
}

async function side(chaos: boolean, tag: string, o: ProxyOptions): Promise<Side> {
  const cwd = join(ROOT, 'proxy', tag);
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  try {
    const base = await portBlock();
    const r = await lab(['up', '-d', '-n', '3', '--dir', dir, '--ports', String(base), ...(chaos ? ['--chaos'] : [])], { cwd, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`etcd-lab up -d${chaos ? ' --chaos' : ''} failed: ${show(r)}`);
    const endpoints = endpointsFrom(r.stdout);
    await waitReady(endpoints);
    await waitQuiet();
    await writeLoad(endpoints, { writers: o.writers, durationMs: WARMUP_MS });
    const pid = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { supervisorPid: number }).supervisorPid;
    const a = sample(pid);
    const load = await writeLoad(endpoints, { writers: o.writers, durationMs: o.durationMs });
    return { ...load, supervisorCpu: cpuPercent(a, sample(pid)) };
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function benchProxy(o: ProxyOptions): Promise<Figure[]> {
  const acc = { chaos: [] as Side[], direct: [] as Side[] };
  // The first clusters of a section run slower on both sides (seen 40 % below the later rounds): one pair is not counted.
  for (const chaos of [true, false]) await side(chaos, `warmup-${chaos ? 'chaos' : 'direct'}`, o);
  for (let i = 0; i < o.rounds; i++) {
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const chaos of order) acc[chaos ? 'chaos' : 'direct'].push(await side(chaos, `${i}-${chaos ? 'chaos' : 'direct'}`, o));
  }
  const sum = (rs: Side[]) => {
    const puts = rs.reduce((a, r) => a + r.puts, 0);
    const seconds = rs.reduce((a, r) => a + r.seconds, 0);
    return {
      rate: puts / seconds,
      p99: percentile(rs.flatMap((r) => r.latencies), 99),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      rounds: rs.map((r) => Math.round(r.puts / r.seconds)),
      cpu: rs.reduce((a, r) => a + r.supervisorCpu, 0) / rs.length,
    };
  };
  const c = sum(acc.chaos);
  const d = sum(acc.direct);
  o.log(`  proxy: --chaos ${c.rounds.join(' ')} puts/s (p99 ${c.p99.toFixed(1)} ms, ${c.errors} errors, supervisor CPU ${c.cpu.toFixed(1)} %) | direct ${d.rounds.join(' ')} puts/s (p99 ${d.p99.toFixed(1)} ms, ${d.errors} errors)`);
  const errNote = c.errors + d.errors > 0 ? `${c.errors} errors with --chaos, ${d.errors} without` : undefined;
  return [
    {
      section: 'proxy',
      name: `proxy.chaos.puts-per-s`,
      value: c.rate,
      unit: 'puts/s',
      baseline: { label: 'without --chaos', value: d.rate, unit: 'puts/s' },
      ratio: { value: c.rate / d.rate, text: `${((100 * c.rate) / d.rate).toFixed(1)} % of the direct throughput` },
      target: atLeast(c.rate / d.rate, 0.8, '>= 80 % of direct'),
      ...(errNote ? { note: errNote } : {}),
    },
    {
      section: 'proxy',
      name: 'proxy.chaos.supervisor-cpu',
      value: c.cpu,
      unit: '%',
      baseline: { label: 'without --chaos', value: d.cpu, unit: '%' },
      note: `% of one core used by the supervisor (its 3 proxies) while relaying ${Math.round(c.rate)} puts/s`,
    },
    {
      section: 'proxy',
      name: `proxy.chaos.put-p99`,
      value: c.p99,
      unit: 'ms',
      baseline: { label: 'without --chaos', value: d.p99, unit: 'ms' },
      ratio: { value: c.p99 / d.p99, text: `${(c.p99 / d.p99).toFixed(2)}x the direct p99` },
    },
  ];
}
