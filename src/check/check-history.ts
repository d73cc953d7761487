// PURE. Checks a whole history against a model: drops what constrains nothing, splits it into independent
// partitions (P-compositionality, e.g. one per key), searches each within one time budget, and on a violation
// shrinks it to a small set of operations and says in words why they are impossible.
import { LabError } from '../errors.js';
import type { Operation } from './history.js';
import { msTime, type Model, type TimeFormat } from './model.js';
import { searchPartition, type SearchLimits } from './search.js';
import { shrink } from './shrink.js';

export interface CheckOptions {
  /** How long the whole check may take, ms (default 30 000). When it runs out the verdict is `unknown`. */
  budgetMs?: number;
  /** Shrink a violation to a small set of operations (default true). */
  minimize?: boolean;
  /** How operation times print in explanations (default: ms since the run started, shown in seconds). */
  time?: TimeFormat;
  /** Give up (verdict unknown) when one partition's search holds more than this many bytes (default 1 GiB). */
  maxBytes?: number;
  /** The clock (default performance.now). */
  now?: () => number;
}

export interface LinearizabilityResult<I, O> {
  verdict: 'linearizable' | 'not-linearizable' | 'unknown';
  /** Operations checked (after dropping those that certainly failed, and reads whose outcome is unknown). */
  operations: number;
  partitions: number;
  ms: number;
  /** not-linearizable: the smallest set of operations found that still shows it, and why in words. */
  violation?: { key?: string; operations: Operation<I, O>[]; explanation: string };
  /** unknown: why, e.g. "the time budget of 30 s ran out with 3 of 12 keys checked". */
  reason?: string;
}

export const DEFAULT_BUDGET_MS = 30_000;

export function checkHistory<S, I, O>(ops: readonly Operation<I, O>[], model: Model<S, I, O>, opts: CheckOptions = {}): LinearizabilityResult<I, O> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const limits: SearchLimits = { deadline: t0 + budgetMs, now, maxBytes: opts.maxBytes ?? 2 ** 30 };
  const time = opts.time ?? msTime;

  const parts = new Map<string, Operation<I, O>[]>();
  let count = 0;
  for (const op of ops) {
    if (op.outcome === 'fail') continue;
    if (op.outcome === 'unknown' && model.isRead(op.input)) continue;
    if (op.outcome === 'ok' && (op.return === undefined || op.output === undefined)) {
      throw new LabError('BAD_HISTORY', `operation ${op.id} (${op.client}) is ok but has no ${op.return === undefined ? 'return time' : 'output'}`, {
        hint: 'an ok operation needs both; a timed-out one is outcome "unknown"',
      });
    }
    if (op.outcome === 'ok' && op.return! < op.invoke) {
      throw new LabError('BAD_HISTORY', `operation ${op.id} (${op.client}) returned at ${op.return} before it was invoked at ${op.invoke}`);
    }
    const key = model.partition ? model.partition(op.input) : '';
    let part = parts.get(key);
    if (!part) parts.set(key, (part = []));
    // An unknown operation's output means something only in the shrinker's prefixes (search.ts): a caller's is dropped.
    part.push(op.outcome === 'unknown' && op.output !== undefined ? { ...op, output: undefined } : op);
    count++;
  }
  // Smallest first: when the budget runs out, as many partitions as possible are decided.
  const order = [...parts].sort((a, b) => a[1].length - b[1].length);
  const unit = model.partition ? 'keys' : 'partitions';
  const done = (r: Omit<LinearizabilityResult<I, O>, 'operations' | 'partitions' | 'ms'>): LinearizabilityResult<I, O> => ({
    ...r,
    operations: count,
    partitions: parts.size,
    ms: now() - t0,
  });

  let checked = 0;
  let memory: string | undefined;
  for (const [key, part] of order) {
    const r = now() > limits.deadline ? { outcome: 'budget' as const } : searchPartition(model, part, limits);
    if (r.outcome === 'budget') {
      return done({ verdict: 'unknown', reason: `the time budget of ${fmtBudget(budgetMs)} ran out with ${checked} of ${parts.size} ${unit} checked` });
    }
    if (r.outcome === 'memory') {
      memory ??= `the search of ${model.partition ? `key ${key}` : 'the history'} (${part.length} operations) outgrew ${Math.round(limits.maxBytes / 2 ** 20)} MiB`;
      continue;
    }
    checked++;
    if (r.outcome === 'not-linearizable') {
      const small = opts.minimize === false ? { ops: part, complete: false } : shrink(model, part, limits, r.reach);
      // present the operations as recorded (the shrinker may have worked on a prefix)
      const byId = new Map(part.map((o) => [o.id, o]));
      const shown = small.ops.map((o) => byId.get(o.id) ?? o).sort((a, b) => a.invoke - b.invoke);
      return done({
        verdict: 'not-linearizable',
        violation: {
          ...(model.partition ? { key } : {}),
          operations: shown,
          explanation: explain(model, shown, time, small.complete, opts.minimize !== false),
        },
      });
    }
  }
  if (memory) return done({ verdict: 'unknown', reason: `${memory}; ${checked} of ${parts.size} ${unit} checked` });
  return done({ verdict: 'linearizable' });
}

function explain<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], time: TimeFormat, complete: boolean, minimized: boolean): string {
  const specific = model.explain?.(ops, time);
  const general = `No order of these ${ops.length} operations keeps real time (one that ended before another began goes first) and gives each the result it returned.`;
  const list = ops.map((o) => `  ${o.client}: ${model.describe(o)} ${time.span(o.invoke, o.outcome === 'ok' ? o.return : undefined)}`);
  const note = !minimized ? [] : complete ? [] : ['  (the time budget ran out while shrinking: a smaller set may show it too)'];
  return [specific ?? general, ...list, ...note].join('\n');
}

function fmtBudget(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
