// PURE. The search for a linearization of one partition: Wing & Gong's algorithm with Lowe's cache, as
// porcupine does it (see README.md, "How the check works").
//
// The history is a doubly linked list of call and return events in real-time order. The search walks it from
// the front: at a call it tries to linearize that operation now (the model says whether it could have returned
// what it did from the current state); if so, and the resulting (set of linearized operations, state) was never
// reached before, the call and its return are lifted out of the list and the walk restarts from the front. At a
// return event, the operation it ends was not linearized before it returned: undo the last choice (unlift) and
// try the next call after it. The history is linearizable when every operation whose outcome is known is
// linearized; it is not when the search has to undo with nothing left to undo.
//
// Operations with an unknown outcome return at +infinity (their return event is last), so they may be linearized
// at any point after their call, and, once every known operation is placed, the rest may simply never have
// taken effect. Nothing in the loop allocates: the list is two Int32Arrays, the linearized set a Uint32Array
// bitset with an incremental (Zobrist) hash, states are interned to small integers, each (state, operation)
// transition is computed once, and the cache is typed arrays (cache.ts).
import { ConfigCache } from './cache.js';
import type { Operation } from './history.js';
import { ILLEGAL, type Model, type StateKey } from './model.js';

export interface SearchLimits {
  /** Clock value (from `now`) at which to give up. */
  deadline: number;
  now: () => number;
  /** Give up when the cache holds more than this many bytes. */
  maxBytes: number;
}

export type SearchOutcome = 'linearizable' | 'not-linearizable' | 'budget' | 'memory';

export interface SearchResult {
  outcome: SearchOutcome;
  /** Steps of the search (calls tried plus undos). */
  steps: number;
  /**
   * Not linearizable: the latest return the search got stuck at (no branch linearized that operation before it
   * returned), as a time. Every return before it was passed in some branch, so the history up to this moment (as
   * shrink.ts prefixUpTo cuts it: operations still running keep their recorded output and may take effect or not,
   * reads still running are left out) is the shortest prefix that is already not linearizable.
   */
  reach?: number;
}

/** How often (in steps) the clock and the memory are looked at. */
const CHECK_EVERY = 1023;
/** At most this many memoized transitions (4 bytes each). */
const MEMO_ENTRIES = 1 << 24;

function zobrist(n: number): Int32Array {
  const z = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x;
  }
  return z;
}

const mixState = (s: number): number => Math.imul(s + 1, 0x85ebca6b) ^ (Math.imul(s + 1, 0xc2b2ae35) >>> 13);

/**
 * Searches one partition. `ops` are operations that count: outcome ok (with output and return) or unknown.
 * Operations of outcome fail and reads of outcome unknown must already be dropped.
 */
export function searchPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], limits: SearchLimits): SearchResult {
  const n = ops.length;
  const known = new Uint8Array(n);
  let knownCount = 0;
  for (let i = 0; i < n; i++) {
    if (ops[i]!.outcome === 'ok') {
      known[i] = 1;
      knownCount++;
    }
  }
  if (knownCount === 0) return { outcome: 'linearizable', steps: 0 };

  // Events in real-time order; at equal times calls come first (such operations overlap). Node 0 is the head;
  // the call of operation i is node 2i+1, its return node 2i+2.
  const time = (node: number): number => {
    const op = ops[(node - 1) >>> 1]!;
    if ((node & 1) === 1) return op.invoke;
    return op.outcome === 'ok' ? op.return! : Infinity;
  };
  const nodes = Array.from({ length: 2 * n }, (_, k) => k + 1);
  const times = new Float64Array(2 * n + 1);
  for (const k of nodes) times[k] = time(k);
  nodes.sort((a, b) => times[a]! - times[b]! || ((a & 1) !== (b & 1) ? ((a & 1) === 1 ? -1 : 1) : a - b));
  const next = new Int32Array(2 * n + 1);
  const prev = new Int32Array(2 * n + 1);
  let last = 0;
  for (const k of nodes) {
    next[last] = k;
    prev[k] = last;
    last = k;
  }
  next[last] = -1;

  const inputs = ops.map((o) => o.input);
  // An unknown operation has no output, except in a prefix the shrinker cut (shrink.ts): there an operation still
  // running at the cut may take effect, with the result it was recorded to return, or not at all.
  const outputs = ops.map((o) => o.output);
  const zob = zobrist(n);
  const words = (n + 31) >>> 5;
  const knownMask = new Uint32Array(words);
  for (let i = 0; i < n; i++) {
    if (known[i] === 1) knownMask[i >>> 5] = (knownMask[i >>> 5]! | (1 << (i & 31))) >>> 0;
    else zob[i] = 0; // the cache's hash covers the known operations only (cache.ts)
  }

  // Interned states and the memo of transitions: trans[state * n + op] is 0 (not computed yet), -1 (illegal) or
  // 1 + the next state. The memo has a row per state up to MEMO_ENTRIES in all; states beyond it are stepped
  // every time.
  const stateIds = new Map<StateKey, number>();
  const stateVals: S[] = [];
  let stateBytes = 0;
  const intern = (s: S): number => {
    const k = model.key(s);
    let id = stateIds.get(k);
    if (id === undefined) {
      id = stateVals.length;
      stateIds.set(k, id);
      stateVals.push(s);
      stateBytes += 48 + (typeof k === 'string' ? 2 * k.length : 0);
    }
    return id;
  };
  let rows = Math.max(1, Math.min(16, Math.floor(MEMO_ENTRIES / n)));
  let trans = new Int32Array(rows * n);
  const transition = (state: number, op: number): number => {
    const s = model.step(stateVals[state]!, inputs[op]!, outputs[op]);
    const t = s === ILLEGAL ? -1 : intern(s) + 1;
    if (stateVals.length > rows && rows * 2 * n <= MEMO_ENTRIES) {
      while (stateVals.length > rows && rows * 2 * n <= MEMO_ENTRIES) rows *= 2;
      const bigger = new Int32Array(rows * n);
      bigger.set(trans);
      trans = bigger;
    }
    if (state < rows) trans[state * n + op] = t;
    return t;
  };

  const set = new Uint32Array(words);
  const cache = new ConfigCache(words, knownMask);
  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  let depth = 0;
  let done = 0;
  let state = intern(model.init());
  let hash = 0;
  cache.addWith(set, -1, state, mixState(state));
  let entry = next[0]!;
  let steps = 0;
  // Each walk over the candidates (the calls before the first return) goes twice: first only operations whose
  // outcome is known, then those whose outcome is unknown. Every candidate is still tried, so the search is as
  // complete as before; but a linearizable history is usually finished with few unknown operations placed,
  // instead of first trying each of them everywhere it could go.
  let unknownPass = false;
  let reach = -Infinity;

  for (;;) {
    if ((++steps & CHECK_EVERY) === 0) {
      if (limits.now() > limits.deadline) return { outcome: 'budget', steps };
      if (cache.bytes + trans.byteLength + stateBytes > limits.maxBytes) return { outcome: 'memory', steps };
    }
    if (entry !== -1 && (entry & 1) === 1) {
      const op = (entry - 1) >>> 1;
      if ((known[op] === 1) === unknownPass) {
        entry = next[entry]!;
        continue;
      }
      let t = state < rows ? trans[state * n + op]! : 0;
      if (t === 0) t = transition(state, op);
      if (t > 0) {
        const ns = t - 1;
        const nh = hash ^ zob[op]!;
        if (cache.addWith(set, op, ns, nh ^ mixState(ns))) {
          stackOp[depth] = op;
          stackState[depth] = state;
          depth++;
          state = ns;
          hash = nh;
          set[op >>> 5] = (set[op >>> 5]! | (1 << (op & 31))) >>> 0;
          // lift the call and its return out of the list
          const r = entry + 1;
          next[prev[entry]!] = next[entry]!;
          if (next[entry] !== -1) prev[next[entry]!] = prev[entry]!;
          next[prev[r]!] = next[r]!;
          if (next[r] !== -1) prev[next[r]!] = prev[r]!;
          if (known[op] === 1 && ++done === knownCount) return { outcome: 'linearizable', steps };
          entry = next[0]!;
          unknownPass = false;
          continue;
        }
      }
      entry = next[entry]!;
    } else {
      if (entry !== -1 && times[entry]! > reach) reach = times[entry]!;
      if (!unknownPass) {
        // the known candidates are exhausted here: now the unknown ones, from the front
        unknownPass = true;
        entry = next[0]!;
        continue;
      }
      if (depth === 0) return { outcome: 'not-linearizable', steps, reach };
      depth--;
      const op = stackOp[depth]!;
      state = stackState[depth]!;
      hash ^= zob[op]!;
      set[op >>> 5] = (set[op >>> 5]! & ~(1 << (op & 31))) >>> 0;
      if (known[op] === 1) done--;
      // unlift, in the reverse order of the lift
      const c = 2 * op + 1;
      const r = c + 1;
      next[prev[r]!] = r;
      if (next[r] !== -1) prev[next[r]!] = r;
      next[prev[c]!] = c;
      if (next[c] !== -1) prev[next[c]!] = c;
      entry = next[c]!;
      unknownPass = known[op] === 0;
    }
  }
}
