// A made-up RunReport of any size (seeded), to measure the report page on big runs: operations spread evenly
// over the run (a client's operations may overlap: the page does not care), slow or failing during faults.
import type { RegisterOperation } from '../src/check/history.js';
import type { MetricSample, RunReport } from '../src/report/types.js';
import { seededRandom } from '../src/chaos/targets.js';

export function syntheticRun(opts: { operations: number; durationMs: number; members?: number; clients?: number; seed?: number }): RunReport {
  const rand = seededRandom(opts.seed ?? 1);
  const members = Array.from({ length: opts.members ?? 5 }, (_, i) => `m${i + 1}`);
  const clients = opts.clients ?? 16;
  const D = opts.durationMs;
  const faults = [
    { n: 1, kind: 'kill', members: ['m1'], t: D * 0.15, ms: D * 0.1, text: 'kill m1 (the leader), restarted after' },
    { n: 2, kind: 'partition', members: members, t: D * 0.4, ms: D * 0.12, text: `partition m2 | ${members.filter((m) => m !== 'm2').join(',')} (the leader on the minority side)` },
    { n: 3, kind: 'pause', members: ['m3'], t: D * 0.7, ms: D * 0.08, text: 'pause m3 (a follower)' },
    { n: 4, kind: 'delay', members: ['m4'], t: D * 0.85, ms: 0, text: 'delay m4 by 50 ms ± 10 ms (never healed)' },
  ];
  const inFault = (t: number): boolean => faults.some((f) => t >= f.t && t < f.t + (f.ms || D));
  const ops: RegisterOperation[] = [];
  for (let id = 0; id < opts.operations; id++) {
    const c = id % clients;
    const invoke = (D * id) / opts.operations + rand() * 5;
    const r = rand();
    const slow = inFault(invoke) ? 20 + rand() * 400 : 0;
    const lat = 0.8 + rand() * rand() * 12 + slow;
    const key = `k${Math.floor(rand() * 8)}`;
    const kind = r < 0.5 ? 'get' : r < 0.8 ? 'put' : 'cas';
    const input = kind === 'get' ? { f: 'get' as const, key } : kind === 'put' ? { f: 'put' as const, key, value: String(id) } : { f: 'cas' as const, key, expect: String(id - 16), value: String(id) };
    const outcomeR = rand();
    const outcome = slow && outcomeR < 0.08 ? 'unknown' : slow && outcomeR < 0.2 ? 'fail' : 'ok';
    const op: RegisterOperation = { id, client: `c${c + 1}`, member: members[c % members.length]!, input, invoke, outcome };
    if (outcome !== 'unknown') op.return = invoke + lat;
    if (outcome === 'ok') op.output = kind === 'get' ? { f: 'get', value: String(id - 3) } : kind === 'put' ? { f: 'put' } : { f: 'cas', succeeded: rand() < 0.5 };
    if (outcome !== 'ok') op.error = outcome === 'fail' ? 'connection refused' : 'no answer within 1500 ms';
    ops.push(op);
  }
  const leaders = [
    { t: 0, leader: 'm1', term: 2 },
    { t: D * 0.15, leader: null, term: null },
    { t: D * 0.15 + 180, leader: 'm2', term: 3 },
    { t: D * 0.4 + 40, leader: null, term: null },
    { t: D * 0.4 + 260, leader: 'm4', term: 5 },
  ];
  const metrics: MetricSample[] = [];
  const totals = members.map(() => ({ lc: 1, pc: 10, pf: 0, fs: 0, fc: 0 }));
  for (let t = 500; t < D; t += 1000) {
    members.forEach((m, i) => {
      const down = (m === 'm1' && t > D * 0.15 && t < D * 0.25) || (m === 'm3' && t > D * 0.7 && t < D * 0.78);
      if (down) return;
      const tot = totals[i]!;
      if (Math.abs(t - D * 0.15) < 1000 || Math.abs(t - D * 0.4) < 1000) tot.lc++;
      tot.pc += Math.round(500 + rand() * 200);
      tot.pf += inFault(t) ? Math.round(rand() * 5) : 0;
      const n = Math.round(480 + rand() * 40);
      tot.fc += n;
      tot.fs += n * (0.002 + rand() * 0.003);
      const ts = t + i * 3;
      metrics.push({ t: ts, member: m, name: 'etcd_server_leader_changes_seen_total', value: tot.lc });
      metrics.push({ t: ts, member: m, name: 'etcd_server_proposals_committed_total', value: tot.pc });
      metrics.push({ t: ts, member: m, name: 'etcd_server_proposals_failed_total', value: tot.pf });
      metrics.push({ t: ts, member: m, name: 'etcd_disk_wal_fsync_duration_seconds_sum', value: tot.fs });
      metrics.push({ t: ts, member: m, name: 'etcd_disk_wal_fsync_duration_seconds_count', value: tot.fc });
    });
  }
  const w = ops.filter((o) => o.input.f === 'put' && o.outcome === 'ok').slice(10, 12);
  const violationOps: RegisterOperation[] = [
    ...w,
    { id: 999_001, client: 'c9', member: 'm3', input: { f: 'get', key: w[0]?.input.key ?? 'k1' }, invoke: (w[1]?.return ?? 100) + 5, return: (w[1]?.return ?? 100) + 9, outcome: 'ok', output: { f: 'get', value: 'stale' } },
  ];
  return {
    meta: { command: `etcd-lab chaos --duration ${D / 1000}s --seed 7 --report run`, seed: 7, etcdVersion: '3.5.30', members, startedAt: '2026-12-05T08:00:00.000Z', durationMs: D },
    faults,
    leaders,
    operations: ops,
    metrics,
    verdicts: [
      { name: 'linearizability', verdict: 'not-linearizable', detail: `${opts.operations} operations on 8 keys, checked in 1.2 s` },
      { name: 'writes: acknowledged present', verdict: 'passed', detail: 'every acknowledged put is on all members' },
      { name: 'watch: ordered', verdict: 'unknown', detail: 'no watch in this run' },
    ],
    violations: [{ checker: 'linearizability', explanation: 'c9 read "stale" after both puts had returned: no order of these operations explains it.', operations: violationOps }],
  };
}
