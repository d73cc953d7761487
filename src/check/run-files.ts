// PURE. The text of a report folder's line files: history.jsonl (one Operation a line) and watch.jsonl (one
// WatchLogEntry a line: every watcher's opens, responses and closes; then the final key history as the entries
// of a watcher named "final": one `open` at the start revision and one `response` holding every event).
import type { RegisterOperation } from './history.js';
import type { WatchedEvent, WatchLogEntry } from './watch.js';

export const FINAL_WATCHER = 'final';

const lines = (xs: readonly unknown[]): string => xs.map((x) => `${JSON.stringify(x)}\n`).join('');

export function historyJsonl(ops: readonly RegisterOperation[]): string {
  return lines(ops);
}

export function watchJsonl(log: readonly WatchLogEntry[], final: { events: readonly WatchedEvent[]; startRevision: number; endRevision: number; t: number } | null): string {
  const tail: WatchLogEntry[] = final
    ? [
        { watcher: FINAL_WATCHER, member: '', t: final.t, kind: 'open', startRevision: final.startRevision },
        { watcher: FINAL_WATCHER, member: '', t: final.t, kind: 'response', revision: final.endRevision, events: [...final.events] },
      ]
    : [];
  return lines([...log, ...tail]);
}

function parseLines<T>(text: string, file: string): T[] {
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      throw new Error(`${file} line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
  return out;
}

export function parseHistoryJsonl(text: string, file = 'history.jsonl'): RegisterOperation[] {
  return parseLines<RegisterOperation>(text, file);
}

/** The watchers' log and the final key history (null when the file holds none). */
export function parseWatchJsonl(text: string, file = 'watch.jsonl'): { log: WatchLogEntry[]; final: WatchedEvent[] | null } {
  const all = parseLines<WatchLogEntry>(text, file);
  const finals = all.filter((e) => e.watcher === FINAL_WATCHER);
  const final = finals.some((e) => e.kind === 'response') ? finals.flatMap((e) => (e.kind === 'response' ? e.events : [])) : null;
  return { log: all.filter((e) => e.watcher !== FINAL_WATCHER), final };
}
