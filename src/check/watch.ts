// PURE. Checks what watchers saw against etcd's watch guarantees (https://etcd.io/docs/v3.5/learning/api_guarantees/#watch-apis):
// - ordered: a watcher sees revisions only go up;
// - unique: no event twice;
// - atomic: the events of one revision (one txn) arrive together, in one response, all of them;
// - reliable: no gap: every event of the final key history from the watcher's start revision up to the
//   revision it reached, and nothing that is not in that history;
// - resumable: a watch re-opened from the last seen revision + 1 misses nothing and repeats nothing.
// The final history is what a fresh watch from the start revision delivered at the end, on a healthy member.

export interface WatchedEvent {
  type: 'put' | 'delete';
  key: string;
  /** null for a delete. */
  value: string | null;
  /** The event's revision (mod_revision). */
  revision: number;
}

interface EntryBase {
  /** e.g. "w-m1". */
  watcher: string;
  member: string;
  /** ms since the run started. */
  t: number;
}

/** One line of watch.jsonl: a watch (re)opened, a response with its events, or the stream ended. */
export type WatchLogEntry =
  | (EntryBase & { kind: 'open'; startRevision: number })
  | (EntryBase & { kind: 'response'; revision: number; events: WatchedEvent[] })
  | (EntryBase & { kind: 'closed'; reason: string });

export const WATCH_CHECKS = ['ordered', 'unique', 'atomic', 'reliable', 'resumable'] as const;
export type WatchCheckName = (typeof WATCH_CHECKS)[number];

export interface WatchViolation {
  check: WatchCheckName;
  watcher: string;
  explanation: string;
  events: WatchedEvent[];
}

export interface WatchCheckResult {
  checks: { name: WatchCheckName; verdict: 'passed' | 'failed' | 'unknown'; detail: string }[];
  violations: WatchViolation[];
}

const id = (e: WatchedEvent): string => `${e.revision}\u0000${e.key}`;
const same = (a: WatchedEvent, b: WatchedEvent): boolean => a.type === b.type && a.key === b.key && a.value === b.value && a.revision === b.revision;

export function describeEvent(e: WatchedEvent): string {
  return e.type === 'delete' ? `delete ${e.key} @${e.revision}` : `put ${e.key}=${JSON.stringify(e.value)} @${e.revision}`;
}

const list = (es: WatchedEvent[], max = 4): string => es.slice(0, max).map(describeEvent).join(', ') + (es.length > max ? ` and ${es.length - max} more` : '');

function byRevision(es: readonly WatchedEvent[]): Map<number, WatchedEvent[]> {
  const m = new Map<number, WatchedEvent[]>();
  for (const e of es) {
    const l = m.get(e.revision);
    if (l) l.push(e);
    else m.set(e.revision, [e]);
  }
  return m;
}

interface WatcherStats {
  events: number;
  reopens: number;
  reached: number;
}

function checkWatcher(name: string, entries: WatchLogEntry[], final: Map<number, WatchedEvent[]> | null, out: WatchViolation[]): WatcherStats {
  const v = (check: WatchCheckName, explanation: string, events: WatchedEvent[]): void => {
    out.push({ check, watcher: name, explanation: `${name}: ${explanation}`, events });
  };
  const seen = new Map<string, { e: WatchedEvent; t: number }>();
  /** Response number each revision arrived in. */
  const responseOf = new Map<number, number>();
  let lastRev = 0;
  let start: number | null = null;
  let opens = 0;
  let responseNo = 0;
  /** Set right after a re-open: the revision it resumed from and the last revision seen before it. */
  let resumed: { from: number; before: number; t: number } | null = null;
  const skip = new Set<string>(); // missing events already reported (resumable / atomic)
  for (const en of entries) {
    if (en.kind === 'open') {
      opens++;
      if (start === null) start = en.startRevision;
      else resumed = { from: en.startRevision, before: lastRev, t: en.t };
      continue;
    }
    if (en.kind !== 'response' || en.events.length === 0) continue;
    responseNo++;
    let resumedRepeats = new Set<WatchedEvent>();
    if (resumed) {
      const first = en.events[0]!;
      const repeated = en.events.filter((e) => e.revision <= resumed!.before);
      if (repeated.length > 0) {
        v('resumable', `re-opened at t=${Math.round(resumed.t)} ms from revision ${resumed.from}, after revision ${resumed.before}, and got again ${list(repeated)}`, repeated);
      }
      if (final) {
        const missed: WatchedEvent[] = [];
        for (const [rev, es] of final) if (rev >= resumed.from && rev > resumed.before && rev < first.revision) missed.push(...es);
        missed.sort((a, b) => a.revision - b.revision);
        if (missed.length > 0) {
          v('resumable', `re-opened at t=${Math.round(resumed.t)} ms from revision ${resumed.from}; its first event was ${describeEvent(first)}, so it missed ${list(missed)}`, missed);
          for (const m of missed) skip.add(id(m));
        }
      }
      resumedRepeats = new Set(repeated);
      resumed = null;
    }
    for (const e of en.events) {
      if (resumedRepeats.has(e)) continue; // reported as resumable
      const prior = seen.get(id(e));
      if (prior) {
        v('unique', `got ${describeEvent(e)} twice, at t=${Math.round(prior.t)} ms and t=${Math.round(en.t)} ms`, [prior.e, e]);
        continue;
      }
      if (e.revision < lastRev) {
        v('ordered', `got ${describeEvent(e)} after an event of revision ${lastRev}: revisions went backwards`, [e]);
      }
      const rn = responseOf.get(e.revision);
      if (rn !== undefined && rn !== responseNo && e.revision === lastRev) {
        v('atomic', `the events of revision ${e.revision} came in two responses: ${describeEvent(e)} after the others`, [e]);
      }
      responseOf.set(e.revision, responseNo);
      seen.set(id(e), { e, t: en.t });
      lastRev = Math.max(lastRev, e.revision);
    }
  }
  if (final && start !== null) {
    const mine = [...seen.values()].map((s) => s.e);
    const got = byRevision(mine);
    for (const [rev, es] of final) {
      if (rev < start || rev > lastRev) continue;
      const have = (got.get(rev) ?? []).filter((h) => es.some((e) => same(h, e)));
      const missing = es.filter((e) => !have.some((h) => same(h, e)) && !skip.has(id(e)));
      if (missing.length === 0) continue;
      if (have.length > 0) {
        v('atomic', `saw only part of revision ${rev}: got ${list(have)} but not ${list(missing)}`, missing);
      } else {
        v('reliable', `missed ${list(missing)} (it started at revision ${start} and reached ${lastRev})`, missing);
      }
    }
    for (const e of mine) {
      const f = final.get(e.revision) ?? [];
      if (!f.some((x) => same(x, e))) {
        const instead = f.filter((x) => x.key === e.key);
        v('reliable', `got ${describeEvent(e)}, which is not in the final history${instead.length ? ` (that has ${list(instead)})` : ''}`, [e, ...instead]);
      }
    }
  }
  return { events: seen.size, reopens: Math.max(0, opens - 1), reached: lastRev };
}

/**
 * Checks every watcher's log. `final` is the final key history (null when it could not be read: then reliable,
 * resumable and the completeness part of atomic are unknown).
 */
export function checkWatches(log: readonly WatchLogEntry[], final: readonly WatchedEvent[] | null): WatchCheckResult {
  const watchers = new Map<string, WatchLogEntry[]>();
  for (const e of log) {
    const l = watchers.get(e.watcher);
    if (l) l.push(e);
    else watchers.set(e.watcher, [e]);
  }
  const finalBy = final ? byRevision(final) : null;
  const violations: WatchViolation[] = [];
  let events = 0;
  let reopens = 0;
  for (const [name, entries] of watchers) {
    const s = checkWatcher(name, entries, finalBy, violations);
    events += s.events;
    reopens += s.reopens;
  }
  const multi = finalBy ? [...finalBy.values()].filter((es) => es.length > 1).length : 0;
  const base = `${watchers.size} watchers, ${events} events`;
  const detail: Record<WatchCheckName, string> = {
    ordered: base,
    unique: base,
    atomic: `${base}; ${multi} multi-key revisions in the final history`,
    reliable: final ? `${base} against a final history of ${final.length} events` : `${base}; no final history to compare with`,
    resumable: `${reopens} re-opens${final ? '' : '; no final history to compare with'}`,
  };
  const needsFinal = new Set<WatchCheckName>(['reliable', 'resumable']);
  const checks = WATCH_CHECKS.map((name) => {
    const failed = violations.some((x) => x.check === name);
    const verdict = failed ? 'failed' : !final && needsFinal.has(name) ? 'unknown' : 'passed';
    return { name, verdict, detail: detail[name] } as const;
  });
  return { checks: checks.map((c) => ({ ...c })), violations };
}
