// PURE. The run's totals, counted from the report itself (what the header shows and a test reads back).
import type { Outcome } from '../check/history.js';
import { isBad } from './verdicts-table.js';
import type { RunReport } from './types.js';

export interface RunTotals {
  operations: number;
  byOutcome: Record<Outcome, number>;
  faults: number;
  checks: number;
  checksFailed: number;
  violations: number;
  /** The end of the shared time axis: the run's duration, or later when something in the report is later. */
  endMs: number;
}

export function runTotals(r: RunReport): RunTotals {
  const byOutcome: Record<Outcome, number> = { ok: 0, fail: 0, unknown: 0 };
  let end = r.meta.durationMs;
  for (const o of r.operations) {
    byOutcome[o.outcome]++;
    end = Math.max(end, o.return ?? o.invoke, o.invoke);
  }
  for (const f of r.faults) end = Math.max(end, f.t + f.ms);
  for (const l of r.leaders) end = Math.max(end, l.t);
  for (const m of r.metrics) end = Math.max(end, m.t);
  return {
    operations: r.operations.length,
    byOutcome,
    faults: r.faults.length,
    checks: r.verdicts.length,
    checksFailed: r.verdicts.filter((v) => isBad(v.verdict)).length,
    violations: r.violations.length,
    endMs: end,
  };
}
