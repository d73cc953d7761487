// PURE. The verdicts of a run, in the report's terms (CheckVerdict, Violation): linearizability of the register
// history, the five watch checks, and what they add up to (the CLI's exit code).
import type { LinearizabilityResult } from './linearizability.js';
import type { WatchCheckResult } from './watch.js';
import type { CheckVerdict, Violation } from './verdict.js';

export interface Verdicts {
  verdicts: CheckVerdict[];
  violations: Violation[];
}

/** `settled`: the timed-out writes the final key history settled before the check (resolve-writes.ts). */
export function linearizabilityVerdicts(r: LinearizabilityResult, settled?: { applied: number; notApplied: number; left: number }): Verdicts {
  const s = settled && settled.applied + settled.notApplied > 0 ? `; ${settled.applied + settled.notApplied} timed-out writes settled by the final key history (${settled.applied} applied, ${settled.notApplied} never)${settled.left ? `, ${settled.left} left unknown` : ''}` : '';
  const detail = `${r.operations} operations on ${r.partitions} keys, checked in ${Math.round(r.ms)} ms${s}${r.reason ? `: ${r.reason}` : ''}`;
  const verdicts: CheckVerdict[] = [{ name: 'linearizability', verdict: r.verdict, detail }];
  const violations: Violation[] = r.violation
    ? [{ checker: 'linearizability', explanation: `${r.violation.key ? `key ${r.violation.key}: ` : ''}${r.violation.explanation}`, operations: r.violation.operations }]
    : [];
  return { verdicts, violations };
}

export function watchVerdicts(w: WatchCheckResult): Verdicts {
  return {
    verdicts: w.checks.map((c) => ({ name: `watch: ${c.name}`, verdict: c.verdict, detail: c.detail })),
    violations: w.violations.map((v) => ({ checker: `watch: ${v.check}`, explanation: v.explanation, operations: [], events: v.events })),
  };
}

/** failed: a verdict found a violation; unknown: none did, but one could not decide; passed otherwise. */
export function overallVerdict(verdicts: readonly CheckVerdict[]): 'passed' | 'failed' | 'unknown' {
  if (verdicts.some((v) => v.verdict === 'failed' || v.verdict === 'not-linearizable')) return 'failed';
  if (verdicts.some((v) => v.verdict === 'unknown')) return 'unknown';
  return 'passed';
}
