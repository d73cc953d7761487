// PURE. From a partition that is not linearizable, a small set of its operations that still is not, and that
// shows the violation the history really has (nothing made up by leaving operations out):
//
// 1. The shortest prefix. Linearizability is prefix-closed: if a history is linearizable, so is every prefix of
//    it, where a prefix keeps the operations invoked up to time T and treats those still running at T as
//    unknown. So a binary search over T (the return times) finds the earliest moment the history was already
//    not linearizable; everything invoked later is dropped.
// 2. One at a time, drop an operation and keep it dropped if the rest is still not linearizable. Only reads (and
//    anything else the model's `canDrop` allows, e.g. a write whose value no remaining operation looks at) are
//    candidates: dropping a read only removes a constraint, so whatever is left is a real violation; dropping an
//    arbitrary write could make one up ("nobody wrote 7"). Passes repeat until nothing more can be dropped.
//
// Each step is a full search of a (small) set, bounded by the same deadline as the check; when it runs out, the
// set found so far is returned (still a real violation, maybe not the smallest).
import type { Operation } from './history.js';
import type { Model } from './model.js';
import { searchPartition, type SearchLimits } from './search.js';

export interface ShrinkResult<I, O> {
  ops: Operation<I, O>[];
  /** False when the deadline stopped the shrinking early. */
  complete: boolean;
}

export function shrink<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], limits: SearchLimits): ShrinkResult<I, O> {
  let timedOut = false;
  /** true: not linearizable; false: linearizable or the search gave up (then `timedOut`). */
  const fails = (set: readonly Operation<I, O>[]): boolean => {
    const r = searchPartition(model, set, limits);
    if (r.outcome === 'budget' || r.outcome === 'memory') timedOut = true;
    return r.outcome === 'not-linearizable';
  };

  // 1. the shortest failing prefix
  const times = [...new Set(ops.filter((o) => o.outcome === 'ok').map((o) => o.return!))].sort((a, b) => a - b);
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi && !timedOut) {
    const mid = (lo + hi) >>> 1;
    if (fails(prefix(model, ops, times[mid]!))) hi = mid;
    else lo = mid + 1;
  }
  const cut = times[hi]!;
  // the operations of that prefix as they really were (stricter than the prefix itself: still not linearizable)
  let set = ops.filter((o) => o.invoke <= cut);
  if (!fails(set)) set = [...ops];

  // 2. drop what can be dropped, latest first
  let changed = true;
  while (changed && !timedOut) {
    changed = false;
    for (let i = set.length - 1; i >= 0 && !timedOut; i--) {
      const op = set[i]!;
      const droppable = model.canDrop ? model.canDrop(op, set) : model.isRead(op.input);
      if (!droppable) continue;
      const rest = set.filter((_, j) => j !== i);
      if (fails(rest)) {
        set = rest;
        changed = true;
      }
    }
  }
  return { ops: set, complete: !timedOut };
}

/** The operations invoked up to `t`; those that returned after `t` are unknown, and such reads constrain nothing. */
function prefix<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], t: number): Operation<I, O>[] {
  const out: Operation<I, O>[] = [];
  for (const o of ops) {
    if (o.invoke > t) continue;
    if (o.outcome === 'ok' && o.return! > t) {
      if (!model.isRead(o.input)) out.push({ ...o, outcome: 'unknown', return: undefined, output: undefined });
    } else out.push(o);
  }
  return out;
}
