// Plays a scenario against a Lab while an ElectionObserver watches: faults, waits, writes and reads, and claims
// that PASS or FAIL. A failed claim does not stop the run; a step that cannot be carried out does.
import type { RegisterOperation } from '../check/history.js';
import { LabError } from '../errors.js';
import { HistoryRecorder } from './history-recorder.js';
import type { ElectionObserver } from './observer.js';
import type { Lab } from './lab.js';
import { Run } from './run-steps.js';
import { CLAIM_KINDS, type Scenario, type Step } from './scenario-types.js';
import type { TimelineEntry, TimelineSummary } from './timeline.js';

export interface ClaimResult {
  /** 1-based step number. */
  step: number;
  where: string;
  kind: Step['kind'];
  claim: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface ScenarioReport {
  scenario: string;
  file: string;
  members: readonly string[];
  passed: boolean;
  claims: ClaimResult[];
  /** The step that could not be carried out, when one stopped the run. */
  error: { step: number; where: string; message: string; hint?: string } | null;
  /** Steps not run after an error or an interruption. */
  skipped: number;
  interrupted: boolean;
  /** Names remembered with `as:`. */
  vars: Record<string, string[]>;
  timeline: TimelineEntry[];
  summary: TimelineSummary;
  /**
   * Every put and linearizable get the steps made (client "scenario"), as Operations. Serializable gets are
   * left out: they read one member's copy and do not promise linearizability.
   */
  history: RegisterOperation[];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Records the put and linearizable get steps (client "scenario"); a new one when not given. */
  recorder?: HistoryRecorder;
  onClaim?: (c: ClaimResult) => void;
}

/** Runs every step in order. The observer must be started (and is left running: the caller stops it). */
export async function runScenario(s: Scenario, lab: Lab, obs: ElectionObserver, opts: RunOptions = {}): Promise<ScenarioReport> {
  const recorder = opts.recorder ?? new HistoryRecorder();
  const run = new Run(s, lab, obs, opts.signal, recorder);
  const claims: ClaimResult[] = [];
  let error: ScenarioReport['error'] = null;
  let done = 0;
  try {
    for (const [i, step] of s.steps.entries()) {
      if (opts.signal?.aborted) break;
      const t0 = performance.now();
      try {
        const r = await run.step(step);
        if (r && CLAIM_KINDS.has(step.kind)) {
          const c: ClaimResult = { step: i + 1, where: step.where, kind: step.kind, ...r, claim: step.claim ?? r.claim, ms: Math.round(performance.now() - t0) };
          if (opts.signal?.aborted && !c.ok) break;
          claims.push(c);
          obs.record({ kind: 'check', ok: c.ok, text: c.ok ? c.claim : `${c.claim}: ${c.detail}` });
          opts.onClaim?.(c);
        }
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const hint = e instanceof LabError ? e.hint : undefined;
        error = { step: i + 1, where: step.where, message, ...(hint ? { hint } : {}) };
        obs.record({ kind: 'check', ok: false, text: `step ${i + 1} could not run: ${message}` });
        done = i + 1;
        break;
      }
      done = i + 1;
    }
  } finally {
    run.close();
  }
  const interrupted = opts.signal?.aborted === true;
  return {
    scenario: s.name,
    file: s.file,
    members: lab.memberNames,
    passed: error === null && !interrupted && claims.every((c) => c.ok),
    claims,
    error,
    skipped: s.steps.length - done,
    interrupted,
    vars: Object.fromEntries(run.vars),
    timeline: [...obs.entries].sort((a, b) => a.t - b.t),
    summary: obs.summary(),
    history: recorder.history(),
  };
}
