// PURE. What the checks of a run say: a verdict per checker and the violations found. The report shows them
// (report/), the chaos run and `etcd-lab check` make them (check/run-verdicts.ts).
import type { RegisterOperation } from './history.js';
import type { WatchedEvent } from './watch.js';

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown' | 'passed' | 'failed';

export interface CheckVerdict {
  /** "linearizability", "watch: ordered", "watch: unique", ..., "writes: acknowledged present". */
  name: string;
  verdict: Verdict;
  /** One line: what was checked, how many operations, how long. */
  detail: string;
}

export interface Violation {
  /** The checker that found it (same as CheckVerdict.name). */
  checker: string;
  /** In words: what the operations show. */
  explanation: string;
  /** The smallest set of operations that shows it. */
  operations: RegisterOperation[];
  /** Watch checks: the watch events that show it (their `operations` is empty). */
  events?: WatchedEvent[];
}
