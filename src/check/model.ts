// PURE. What the linearizability checker needs to know about a data type: its sequential specification.
import type { Operation } from './history.js';

/** Returned by `Model.step` when the operation cannot have returned what it did in that state. */
export const ILLEGAL: unique symbol = Symbol('illegal');
export type Illegal = typeof ILLEGAL;

/** A state's identity: two states with the same key are the same state (the checker interns them). */
export type StateKey = string | number | boolean | null;

export interface Model<S, I, O> {
  /** e.g. "register", "jepsen-register", "kv". */
  name: string;
  init(): S;
  /**
   * The state after `input` ran on `state` and returned `output`, or ILLEGAL when it could not have returned that.
   * `output` is undefined when the outcome is unknown: the operation took effect but its result was never seen
   * (the checker also lets such an operation never take effect, so `step` need not model that case). In the
   * shrinker's prefixes an operation still running at the cut is unknown with the `output` it was recorded to
   * return: it took effect with that result, or never.
   */
  step(state: S, input: I, output: O | undefined): S | Illegal;
  /** A primitive that identifies the state (for the search's cache of visited states). */
  key(state: S): StateKey;
  /**
   * P-compositionality: the independent part of the data an operation touches (e.g. its key). Operations of
   * different partitions never constrain each other, so each partition is checked alone. Absent: one partition.
   */
  partition?(input: I): string;
  /** True when the operation cannot change the state (a read): a read with an unknown outcome constrains nothing. */
  isRead(input: I): boolean;
  /** One operation in words, e.g. `get of k2 returned "7"`, `put of "9" to k2 (outcome unknown)`. */
  describe(op: Operation<I, O>): string;
  /**
   * Whether the shrinker may drop this state-changing operation from a set that shows a violation without making
   * up a violation the full set does not have (reads may always be dropped). Absent: writes are never dropped.
   */
  canDrop?(op: Operation<I, O>, ops: readonly Operation<I, O>[]): boolean;
  /** Why this (small) set of operations is impossible, in words, when the model can say more than the list. */
  explain?(ops: readonly Operation<I, O>[], time: TimeFormat): string | undefined;
}

/** How the times of operations print: `12.40–12.90 s` for etcd-lab's ms, `lines 12–15` for a Jepsen log. */
export interface TimeFormat {
  /** When an operation ran, e.g. "at 12.40–12.90 s", "at 12.40 s (no answer)". */
  span(invoke: number, ret: number | undefined): string;
  /** A moment, e.g. "at 11.03 s", "on line 7". */
  at(t: number): string;
}

export const msTime: TimeFormat = {
  span: (a, b) => (b === undefined ? `from ${sec(a)} s on (never answered)` : `at ${sec(a)}–${sec(b)} s`),
  at: (t) => `at ${sec(t)} s`,
};

export const lineTime: TimeFormat = {
  span: (a, b) => (b === undefined ? `from line ${a} on (never answered)` : `on lines ${a}–${b}`),
  at: (t) => `on line ${t}`,
};

function sec(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 3 : 2);
}
