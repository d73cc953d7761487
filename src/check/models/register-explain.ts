// PURE. Words for a register violation (etcd-lab's register and Jepsen's share it): which read or cas could not
// have seen what it saw, and which acknowledged writes say so.
import type { Operation } from '../history.js';
import type { TimeFormat } from '../model.js';

/** A register operation reduced to what the explanation needs; `undefined` results are unknown. */
export type RegisterView =
  | { kind: 'read'; value: string | null | undefined }
  | { kind: 'write'; value: string }
  | { kind: 'cas'; expect: string | null; value: string; succeeded: boolean | undefined };

export const quote = (v: string): string => JSON.stringify(v);
const show = (v: string | null): string => (v === null ? 'nothing (absent)' : quote(v));

/** The client of an operation as its subject: "c3's", or "process 3's" for Jepsen's numbers. */
export const who = (op: Operation<unknown, unknown>): string => `${/^\d+$/.test(op.client) ? `process ${op.client}` : op.client}'s`;

/**
 * The shrinker may drop a read or a failed cas (they change nothing), and a write (or cas) when no other operation of the set reads or compares against the value
 * it writes, and the set has no cas that failed. Then, in any order that explains the set, nothing that depends
 * on the value sits between that write and the next one: only cas of unknown outcome that compared against
 * another value and so changed nothing, which the same order may as well leave out (an unknown operation may
 * never have happened). So the set without the write is explained by that order: dropping it never makes up a
 * violation.
 */
export function canDropWrite<O extends Operation<unknown, unknown>>(op: O, ops: readonly O[], view: (o: O) => RegisterView): boolean {
  const v = view(op);
  // a read, or a cas that found another value, changes nothing: dropping it only removes a constraint
  if (v.kind === 'read' || (v.kind === 'cas' && v.succeeded === false)) return true;
  for (const o of ops) {
    if (o === op) continue;
    const w = view(o);
    if (w.kind === 'read' && w.value === v.value) return false;
    if (w.kind === 'cas' && (w.expect === v.value || w.succeeded === false)) return false;
  }
  return true;
}

/** A sentence for the common cases (a stale or lost read); undefined when the set shows something else. */
export function explainRegister<O extends Operation<unknown, unknown>>(
  ops: readonly O[],
  view: (o: O) => RegisterView,
  describe: (o: O) => string,
  opts: { initial: string | null; time: TimeFormat },
): string | undefined {
  const t = opts.time;
  const acked = (o: O): boolean => o.outcome === 'ok' && o.return !== undefined;
  // The observation that ended last is the one the others make impossible.
  const reads = ops.filter((o) => acked(o) && view(o).kind === 'read').sort((a, b) => b.return! - a.return!);
  const read = reads[0];
  if (!read) return undefined;
  const value = (view(read) as { value: string | null }).value;
  const writesValue = (o: O): string | null | undefined => {
    const w = view(o);
    if (w.kind === 'write') return w.value;
    if (w.kind === 'cas' && w.succeeded !== false) return w.value;
    return undefined;
  };
  const writers = ops.filter((o) => o !== read && writesValue(o) !== undefined);
  const before = (a: O, b: O): boolean => a.return !== undefined && a.outcome === 'ok' && a.return < b.invoke;
  const head = `${who(read)} ${describe(read)} ${t.span(read.invoke, read.return)}`;
  const ofValue = writers.filter((w) => writesValue(w) === value);
  if (value === opts.initial) {
    const w = writers.find((x) => before(x, read));
    if (w) return `${head}, but ${who(w)} ${describe(w)} was acknowledged ${t.at(w.return!)}, before that read began, and nothing deletes a value.`;
    return undefined;
  }
  if (ofValue.length === 0) return `${head}, but no write of ${show(value)} had begun before that read returned.`;
  const overwrites = ofValue.map((w) => writers.find((o) => writesValue(o) !== value && before(w, o) && before(o, read)));
  if (overwrites.every((o) => o !== undefined)) {
    const w = ofValue[ofValue.length - 1]!;
    const o = overwrites[overwrites.length - 1]!;
    const others = ofValue.length > 1 ? `, and so were the other ${ofValue.length - 1} write(s) of ${show(value)}` : '';
    return `${head}, but ${who(w)} ${describe(w)} (acknowledged ${t.at(w.return!)}) was overwritten by ${who(o)} ${describe(o)} (acknowledged ${t.at(o.return!)}) before that read began${others}, and no later write of ${show(value)} had begun before it returned.`;
  }
  return undefined;
}
