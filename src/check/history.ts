// PURE. A recorded history: what each client asked, when, and what came back. The linearizability checker
// (linearizability.ts) reads it; `etcd-lab chaos --report DIR` writes it as history.jsonl, one Operation a line.

/**
 * How an operation ended.
 * - ok: it took effect (or read) exactly once, somewhere between `invoke` and `return`; `output` says what came back.
 * - fail: it certainly did not take effect (e.g. the connection was refused before the request was sent).
 * - unknown: timed out or the connection was lost: it may or may not have taken effect, at any time after
 *   `invoke` (no `return`, no `output`; the checker's shrinker gives one an `output` when it cuts a history while
 *   the operation ran: if it took effect, it returned that).
 */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** Register operations on one key. `cas.expect` null means "the key is absent". */
export type RegisterInput =
  | { f: 'get'; key: string }
  | { f: 'put'; key: string; value: string }
  | { f: 'cas'; key: string; expect: string | null; value: string };

/** What an ok register operation returned. A cas whose compare failed is ok with `succeeded: false`. */
export type RegisterOutput = { f: 'get'; value: string | null } | { f: 'put' } | { f: 'cas'; succeeded: boolean };

export interface Operation<I = RegisterInput, O = RegisterOutput> {
  /** Unique within the history. */
  id: number;
  /** The client (one sequential process) that issued it, e.g. "c3". */
  client: string;
  /** The member it was sent to, or "cluster" for a client that may use any member. */
  member?: string;
  input: I;
  /** ms since the run started, monotonic (performance.now based). */
  invoke: number;
  /** ms since the run started; absent when `outcome` is unknown. */
  return?: number;
  outcome: Outcome;
  /** Present when `outcome` is ok. */
  output?: O;
  /** etcd's header revision of an ok response, when there was one. */
  revision?: string;
  /** Why it failed or is unknown, in a few words. */
  error?: string;
}

export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
