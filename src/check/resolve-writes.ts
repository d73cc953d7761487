// PURE. Settles the writes whose outcome is unknown with the run's final key history (as etcd's own robustness
// tests do with their watch): a put or compare-and-set that timed out either wrote its value or did not, and the
// final history (every event under the run's prefix, read from a healthy member at the end; the watch checks
// hold it against what every watcher saw) says which.
// - Its (key, value) is in the final history, at revision R: it took effect. It becomes ok, returning no later
//   than the first moment a member is known to have applied R: the earliest return of an ok operation whose
//   response carried a revision >= R, or the first delivery of that event to a watcher (or the end of the run).
// - It is not: it never took effect, and is dropped like a failed one.
// Only writes whose (key, value) is written by no other operation and appears at most once in the history are
// settled; any other stays unknown. Without the final history nothing changes.
import type { RegisterOperation } from './history.js';
import type { WatchedEvent, WatchLogEntry } from './watch.js';

export interface WriteResolution {
  history: RegisterOperation[];
  /** Unknown writes found in the final history: now ok. */
  applied: number;
  /** Unknown writes not in it: now fail. */
  notApplied: number;
  /** Unknown writes left unknown (their value is not unique to them). */
  left: number;
}

const pair = (key: string, value: string): string => `${key}\u0000${value}`;

export function resolveUnknownWrites(history: readonly RegisterOperation[], final: readonly WatchedEvent[] | null, log: readonly WatchLogEntry[] = []): WriteResolution {
  const unknownWrites = history.filter((op) => op.outcome === 'unknown' && op.input.f !== 'get');
  if (final === null || unknownWrites.length === 0) return { history: [...history], applied: 0, notApplied: 0, left: unknownWrites.length };

  const writers = new Map<string, number>();
  for (const op of history) if (op.input.f !== 'get') writers.set(pair(op.input.key, op.input.value), (writers.get(pair(op.input.key, op.input.value)) ?? 0) + 1);
  const events = new Map<string, WatchedEvent[]>();
  for (const e of final) {
    if (e.type !== 'put' || e.value === null) continue;
    const k = pair(e.key, e.value);
    events.set(k, [...(events.get(k) ?? []), e]);
  }
  const delivered = new Map<number, number>();
  let end = 0;
  for (const entry of log) {
    end = Math.max(end, entry.t);
    if (entry.kind !== 'response') continue;
    for (const e of entry.events) if (!delivered.has(e.revision) || delivered.get(e.revision)! > entry.t) delivered.set(e.revision, entry.t);
  }
  for (const op of history) end = Math.max(end, op.invoke, op.return ?? 0);
  // appliedBy(R): the earliest return among ok operations whose response revision is >= R (a member had applied R).
  const answered = history
    .filter((op) => op.outcome === 'ok' && op.revision !== undefined && op.return !== undefined)
    .map((op) => ({ revision: Number(op.revision), t: op.return! }))
    .sort((a, b) => a.revision - b.revision);
  const suffixMin = new Float64Array(answered.length + 1).fill(Infinity);
  for (let i = answered.length - 1; i >= 0; i--) suffixMin[i] = Math.min(suffixMin[i + 1]!, answered[i]!.t);
  const appliedBy = (revision: number): number => {
    let lo = 0;
    let hi = answered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (answered[mid]!.revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return suffixMin[lo]!;
  };

  let applied = 0;
  let notApplied = 0;
  let left = 0;
  const out = history.map((op): RegisterOperation => {
    if (op.outcome !== 'unknown' || op.input.f === 'get') return op;
    const k = pair(op.input.key, op.input.value);
    const found = events.get(k) ?? [];
    if (writers.get(k) !== 1 || found.length > 1) {
      left++;
      return op;
    }
    if (found.length === 0) {
      notApplied++;
      return { ...op, outcome: 'fail', error: `${op.error ?? 'unknown'}; not in the final key history: never applied` };
    }
    const e = found[0]!;
    const by = Math.min(delivered.get(e.revision) ?? end, appliedBy(e.revision));
    if (by < op.invoke) {
      left++;
      return op;
    }
    applied++;
    return {
      ...op,
      outcome: 'ok',
      return: by,
      output: op.input.f === 'put' ? { f: 'put' } : { f: 'cas', succeeded: true },
      revision: String(e.revision),
      error: `${op.error ?? 'unknown'}; applied at revision ${e.revision} (final key history)`,
    };
  });
  return { history: out, applied, notApplied, left };
}
