// PURE. Jepsen's history events (invoke, then ok | fail | info from the same process) paired into operations.
// Jepsen's meaning of the completion types: ok = it happened, fail = it certainly did not, info = nobody knows
// (timed out, connection lost). A process with an unanswered call at the end of the history is like info.
import { LabError } from '../../errors.js';
import type { Operation, Outcome } from '../history.js';
import type { Edn } from './edn.js';

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

export interface JepsenEvent {
  process: string;
  type: EventType;
  f: string;
  /** undefined: the event has no value at all (a cut line, or an EDN map without :value), which is not nil. */
  value: Edn | undefined;
  /** 1-based line in the file: also the event's time (these logs have no clock). */
  line: number;
  /** Other fields of an EDN event (e.g. :key). */
  fields?: Map<string, Edn>;
}

export type Completion<O> = { outcome: 'ok'; output: O } | { outcome: Exclude<Outcome, 'ok'> };

export interface Pairing<I, O> {
  /** The operation an invoke asks for; throws (via `bad`) when the invoke is malformed. */
  input(ev: JepsenEvent, bad: (what: string) => never): I;
  /**
   * What an ok or fail completion means for that operation (info is always unknown). `invoked` is the invoke it
   * answers: a completion that names another operation (another function, key or written value) is malformed.
   */
  complete(input: I, ev: JepsenEvent, bad: (what: string) => never, invoked: JepsenEvent): Completion<O>;
}

export function badLine(file: string, line: number, what: string, got: string): never {
  throw new LabError('BAD_HISTORY', `${file}:${line}: expected ${what}, got ${got}`, {
    hint: 'etcd-lab check reads Jepsen logs (jepsen.util lines), Jepsen EDN histories (one {:process … :type … :f …} map a line) and its own history.jsonl; see etcd-lab check --help',
  });
}

export function pairEvents<I, O>(events: readonly JepsenEvent[], file: string, pairing: Pairing<I, O>, describe: (ev: JepsenEvent) => string): Operation<I, O>[] {
  const ops: Operation<I, O>[] = [];
  const pending = new Map<string, { op: Operation<I, O>; ev: JepsenEvent }>();
  for (const ev of events) {
    const bad = (what: string): never => badLine(file, ev.line, what, describe(ev));
    if (ev.type === 'invoke') {
      // a process that calls again without an answer to its last call: that call stays unknown
      const op: Operation<I, O> = { id: ops.length, client: ev.process, input: pairing.input(ev, bad), invoke: ev.line, outcome: 'unknown' };
      ops.push(op);
      pending.set(ev.process, { op, ev });
      continue;
    }
    const invoked = pending.get(ev.process);
    if (!invoked) return bad(`a completion of an operation that process ${ev.process} invoked earlier (there is none pending)`);
    pending.delete(ev.process);
    if (ev.type === 'info') continue; // unknown, no return
    const { op } = invoked;
    const c = pairing.complete(op.input, ev, bad, invoked.ev);
    op.outcome = c.outcome;
    if (c.outcome === 'ok') {
      op.return = ev.line;
      op.output = c.output;
    } else if (c.outcome === 'fail') op.return = ev.line;
  }
  return ops;
}
