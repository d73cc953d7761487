// PURE. From a partition that is not linearizable, a small set of its operations that still is not, and that
// shows the violation the history really has (nothing made up by leaving operations out):
//
// 1. The shortest prefix. Linearizability is prefix-closed: if a history is linearizable, so is every prefix of
//    it, where a prefix keeps the operations invoked up to time T and lets those still running at T take effect
//    (with their recorded result) or not (prefixUpTo). The search that found the violation says the earliest T
//    whose prefix is not linearizable (search.ts `reach`: the latest return it got stuck at); everything
//    invoked later is dropped.
// 2. Drop operations while the rest is still not linearizable, in chunks as delta debugging does: the candidates
//    in halves (earliest first), in smaller chunks when none of them could go, down to one at a time, until none
//    can. Only reads (and anything else the model's `canDrop` allows, e.g. a write whose value no
//    remaining operation looks at) are candidates: dropping a read only removes a constraint, so whatever is left
//    is a real violation; dropping an arbitrary write could make one up ("nobody wrote 7"). Each operation of a
//    chunk goes only where the rest still allows it, so dropping a chunk is a chain of such single steps.
//    One at a time from the start took the whole budget on a long history (thousands of searches of thousands
//    of operations); in chunks, the operations long before the violation go in a few searches.
//
// Each step is a full search of a (small) set, bounded by the same deadline as the check; when it runs out, the
// set found so far is returned (still a real violation, maybe not the smallest).
import type { Operation } from './history.js';
import type { Model } from './model.js';
import { searchPartition, type SearchLimits, type SearchResult } from './search.js';

export interface ShrinkResult<I, O> {
  ops: Operation<I, O>[];
  /** False when the deadline stopped the shrinking early. */
  complete: boolean;
}

export function shrink<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], limits: SearchLimits, reach?: number): ShrinkResult<I, O> {
  let timedOut = false;
  const search = (set: readonly Operation<I, O>[]): SearchResult => {
    const r = searchPartition(model, set, limits);
    if (r.outcome === 'budget' || r.outcome === 'memory') timedOut = true;
    return r;
  };
  /** true: not linearizable; false: linearizable or the search gave up (then `timedOut`). */
  const fails = (set: readonly Operation<I, O>[]): boolean => search(set).outcome === 'not-linearizable';

  // 1. the shortest failing prefix, from the search that found the violation (or one run here). The prefix itself,
  // not its operations as they were recorded: a read still running at the cut may have seen a write invoked after
  // it, and keeping that read without that write would make up a violation ("no write of 9 had begun"). The
  // caller shows the operations as recorded (each is at least as constrained as here).
  const cut = reach ?? search(ops).reach;
  let set = cut === undefined ? [...ops] : prefixUpTo(model, ops, cut);
  /** Whether a search of `set` said not linearizable (the prefix is, by the search's account: checked if nothing drops). */
  let verified = cut === undefined;

  // 2. drop what can be dropped: the candidates in `parts` chunks, earliest first. A chunk that goes makes the next
  // round coarser again (dropping reads frees the writes they looked at); a round where none goes, finer; one at a
  // time with none going ends it.
  const droppable = (op: Operation<I, O>, ops: readonly Operation<I, O>[]): boolean => (model.canDrop ? model.canDrop(op, ops) : model.isRead(op.input));
  let parts = 2;
  while (!timedOut) {
    const candidates = set.filter((o) => droppable(o, set)).sort((a, b) => a.invoke - b.invoke);
    if (candidates.length === 0) break;
    const chunk = Math.max(1, Math.ceil(candidates.length / parts));
    let dropped = false;
    for (let i = 0; i < candidates.length && !timedOut; i += chunk) {
      const rest = without(model, set, new Set(candidates.slice(i, i + chunk)), droppable);
      if (rest.length < set.length && fails(rest)) {
        set = rest;
        dropped = verified = true;
      }
    }
    if (dropped) parts = Math.max(2, parts - 1);
    else if (chunk === 1) break;
    else parts = Math.min(candidates.length, parts * 2);
  }
  if (!verified && !timedOut && search(set).outcome === 'linearizable') return { ops: [...ops], complete: false };
  return { ops: set, complete: !timedOut };
}

/**
 * `set` without the operations of `chunk`, each dropped only where the rest allows it: the reads first, then the
 * others in passes. With the models here every candidate still can go (dropping only makes more droppable), so this
 * is `set` minus `chunk`; the passes are for a model whose `canDrop` is not like that.
 */
function without<S, I, O>(
  model: Model<S, I, O>,
  set: readonly Operation<I, O>[],
  chunk: ReadonlySet<Operation<I, O>>,
  droppable: (op: Operation<I, O>, ops: readonly Operation<I, O>[]) => boolean,
): Operation<I, O>[] {
  let rest = set.filter((o) => !(chunk.has(o) && model.isRead(o.input)));
  for (let more = true; more; ) {
    more = false;
    for (const op of rest) {
      if (!chunk.has(op) || !droppable(op, rest)) continue;
      rest = rest.filter((o) => o !== op);
      more = true;
    }
  }
  return rest;
}

/**
 * The history up to `t`: the operations invoked by then; one still running at `t` may have taken effect by then,
 * with the result it was recorded to return, or not (it is unknown and keeps its output), and such a read
 * constrains nothing (it is left out). The linearization of the whole history, cut at `t`, is one of this
 * prefix: so a prefix that is not linearizable shows that the history is not.
 */
export function prefixUpTo<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], t: number): Operation<I, O>[] {
  const out: Operation<I, O>[] = [];
  for (const o of ops) {
    if (o.invoke > t) continue;
    if (o.outcome === 'ok' && o.return! > t) {
      if (!model.isRead(o.input)) out.push({ ...o, outcome: 'unknown', return: undefined });
    } else out.push(o);
  }
  return out;
}
