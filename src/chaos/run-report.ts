// A chaos run as a RunReport (run.json): the observer's faults and leaders moved onto the run's clock (the
// history's t = 0), the operations, metrics, verdicts and violations.
import type { LeaderSample, ReportFault, RunReport } from '../report/types.js';
import type { ChaosReport } from './chaos-run.js';

export function chaosRunReport(r: ChaosReport, meta: { command: string; etcdVersion: string }): RunReport {
  const shift = (t: number): number => Math.max(0, t - r.observerOffsetMs);
  const faults: ReportFault[] = r.faults.map((f) => ({
    n: f.n,
    kind: f.kind,
    members: f.members,
    t: shift(f.t),
    ms: f.ms,
    text: `${f.kind} ${f.members.join(', ')}${f.error ? ` (not done: ${f.error})` : ''}`,
  }));
  const leaders: LeaderSample[] = r.timeline
    .filter((e) => e.kind === 'leader-elected' || e.kind === 'leader-lost')
    .map((e) => (e.kind === 'leader-elected' ? { t: shift(e.t), leader: e.member ?? null, term: e.term ?? null } : { t: shift(e.t), leader: null, term: null }));
  return {
    meta: {
      command: meta.command,
      seed: r.seed,
      etcdVersion: meta.etcdVersion,
      members: [...r.members],
      startedAt: r.recorded?.startedAt ?? new Date(Date.now() - r.durationMs).toISOString(),
      durationMs: r.durationMs,
    },
    faults,
    leaders,
    operations: r.recorded?.history ?? [],
    metrics: r.metrics,
    verdicts: r.verdicts,
    violations: r.violations,
  };
}
