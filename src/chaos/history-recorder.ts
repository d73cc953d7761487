// Every client operation of a run goes through a HistoryRecorder: who asked (client), through which member (or
// "cluster"), what (get / put / cas), when it was invoked and when it returned, on one monotonic clock
// (performance.now relative to the run's start), and how it ended. The linearizability checker reads this.
import type { Outcome, RegisterInput, RegisterOperation, RegisterOutput } from '../check/history.js';
import { isEtcdRequestError } from '../etcd/client.js';
import { failureReason } from './writer.js';

/**
 * How a failed call ends in the history. `fail` is a promise that the operation did NOT take effect; when we
 * cannot promise that, the outcome is `unknown` (it may have taken effect at any time after its invoke), which
 * the checker treats as "maybe". Reasons, per error kind (see README "Outcome classification"):
 * - a get (a read) that failed in any way: fail. A read changes nothing, so leaving it out is exact.
 * - refused (ECONNREFUSED): fail. Nothing listened, so the request was never sent.
 * - timeout: unknown. The request may have reached etcd and been proposed; it may commit after we gave up.
 * - network (reset, closed mid-answer) and aborted: unknown. The request may have been sent and applied.
 * - etcd errors: unknown, except the ones etcd returns before proposing anything (too many requests, request
 *   too large). "request timed out", "leader changed", "no leader", "timed out due to leader failure": the
 *   proposal may already be in the log of a member that becomes leader and commits it.
 * - http (an answer that is not etcd's): unknown; we cannot tell what happened behind it.
 */
const REJECTED_BEFORE_PROPOSAL = [/too many requests/i, /request is too large/i];

export function classifyFailure(input: RegisterInput, e: unknown): { outcome: Exclude<Outcome, 'ok'>; error: string } {
  const error = failureReason(e);
  if (input.f === 'get') return { outcome: 'fail', error };
  if (!isEtcdRequestError(e)) return { outcome: 'unknown', error };
  if (e.kind === 'refused') return { outcome: 'fail', error };
  if (e.kind === 'etcd' && REJECTED_BEFORE_PROPOSAL.some((re) => re.test(e.etcdMessage ?? ''))) return { outcome: 'fail', error };
  return { outcome: 'unknown', error };
}

export interface Answer {
  output: RegisterOutput;
  revision?: string;
}

export class HistoryRecorder {
  readonly ops: RegisterOperation[] = [];
  /** ISO time of t = 0. */
  readonly startedAt = new Date().toISOString();
  /** performance.now() at t = 0 (the metrics sampler dates its samples on the same clock). */
  readonly t0 = performance.now();
  private nextId = 0;

  /** ms since the recorder was made (the run's t = 0), monotonic. */
  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  /**
   * Invokes `call` and records the operation: ok with what it returned, or fail / unknown (classifyFailure).
   * Never throws for a failed call: the returned operation says how it ended.
   */
  async record(client: string, member: string, input: RegisterInput, call: () => Promise<Answer>): Promise<RegisterOperation> {
    const op: RegisterOperation = { id: this.nextId++, client, member, input, invoke: this.now(), outcome: 'unknown' };
    this.ops.push(op);
    try {
      const a = await call();
      op.return = this.now();
      op.outcome = 'ok';
      op.output = a.output;
      if (a.revision !== undefined) op.revision = a.revision;
    } catch (e) {
      const c = classifyFailure(input, e);
      op.outcome = c.outcome;
      op.error = c.error;
      if (c.outcome === 'fail') op.return = this.now();
    }
    return op;
  }

  /**
   * Like record, for a caller that wants the call's own result or error: records the operation, then returns
   * what `call` returned or throws what it threw.
   */
  async wrap<T>(client: string, member: string, input: RegisterInput, call: () => Promise<T>, answer: (t: T) => Answer): Promise<T> {
    let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    await this.record(client, member, input, async () => {
      try {
        const value = await call();
        result = { ok: true, value };
        return answer(value);
      } catch (error) {
        result = { ok: false, error };
        throw error;
      }
    });
    if (!result!.ok) throw result!.error;
    return result!.value;
  }

  /** The operations so far, in invoke order (a copy). */
  history(): RegisterOperation[] {
    return this.ops.map((o) => ({ ...o }));
  }
}
