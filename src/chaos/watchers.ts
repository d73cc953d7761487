// One watcher per member on the workload's prefix, logging every response (events with their revisions, the
// header revision) for the watch checker (check/watch.ts). When the stream ends (the member was killed or
// restarted), it re-opens on the same member from the last revision it saw + 1: that is what `resumable` checks.
import type { WatchedEvent, WatchLogEntry } from '../check/watch.js';
import type { EtcdClient } from '../etcd/client.js';
import type { WatchEnd, WatchResponse } from '../etcd/watch.js';
import type { Lab } from './lab.js';

const RETRY_MS = 200;
const OPEN_TIMEOUT_MS = 1000;

function endText(e: WatchEnd): string {
  switch (e.reason) {
    case 'compacted':
      return `compacted at revision ${e.compactRevision}`;
    case 'canceled':
      return `canceled by etcd: ${e.message}`;
    case 'error':
      return e.error.kind === 'refused' ? 'refused: not running' : e.error.message;
    default:
      return e.reason;
  }
}

function events(r: WatchResponse): WatchedEvent[] {
  return r.events.map((e) => ({ type: e.type, key: e.key, value: e.value, revision: e.revision }));
}

class MemberWatcher {
  readonly name: string;
  private last = 0;
  private handle: { cancel(): void } | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    readonly member: string,
    private readonly client: EtcdClient,
    private readonly prefix: string,
    private readonly startRevision: number,
    private readonly log: WatchLogEntry[],
    private readonly now: () => number,
  ) {
    this.name = `w-${member}`;
  }

  /** The highest event revision seen. */
  get reached(): number {
    return this.last;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handle?.cancel();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failedOpens = 0;
    while (!this.stopped) {
      const from = this.last > 0 ? this.last + 1 : this.startRevision;
      const base = { watcher: this.name, member: this.member };
      let logged = false;
      const h = this.client.watch({ prefix: this.prefix, startRevision: from }, (r) => {
        if (!logged) {
          logged = true;
          this.log.push({ ...base, t: this.now(), kind: 'open', startRevision: from });
        }
        if (r.events.length === 0 && !r.canceled) return;
        this.log.push({ ...base, t: this.now(), kind: 'response', revision: r.revision, events: events(r) });
        for (const e of r.events) this.last = Math.max(this.last, e.revision);
      }, { timeoutMs: OPEN_TIMEOUT_MS });
      this.handle = h;
      const end = await h.done;
      this.handle = null;
      // Only streams that were opened are logged: a refused attempt did not watch anything.
      if (logged) this.log.push({ ...base, t: this.now(), kind: 'closed', reason: this.stopped ? 'stopped' : endText(end) });
      if (end.reason === 'compacted') return; // cannot resume below the compaction
      failedOpens = logged ? 0 : failedOpens + 1;
      if (!this.stopped) await new Promise((r) => setTimeout(r, Math.min(RETRY_MS * (1 + failedOpens), 1000)));
    }
  }
}

export class Watchers {
  readonly log: WatchLogEntry[] = [];
  private readonly watchers: MemberWatcher[] = [];
  private readonly clients: EtcdClient[] = [];

  constructor(lab: Lab, prefix: string, startRevision: number, now: () => number) {
    for (const m of lab.memberNames) {
      const c = lab.etcdClient(m, OPEN_TIMEOUT_MS);
      this.clients.push(c);
      this.watchers.push(new MemberWatcher(m, c, prefix, startRevision, this.log, now));
    }
  }

  start(): void {
    for (const w of this.watchers) w.start();
  }

  /** Waits (bounded) until every watcher has seen `revision`; returns the ones that did not. */
  async waitReached(revision: number, withinMs: number, signal?: AbortSignal): Promise<string[]> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const behind = this.watchers.filter((w) => w.reached < revision).map((w) => w.name);
      if (behind.length === 0 || Date.now() > deadline || signal?.aborted) return behind;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()));
    for (const c of this.clients) c.close();
  }
}

/**
 * The final key history: a fresh watch from `startRevision` on one member, read until it delivers an event at
 * `untilRevision` or later (the caller writes a last key to know that revision). Null when it cannot be read.
 */
export async function readFinalHistory(client: EtcdClient, prefix: string, startRevision: number, untilRevision: number, withinMs: number): Promise<WatchedEvent[] | null> {
  const out: WatchedEvent[] = [];
  let reached = 0;
  const h = client.watch({ prefix, startRevision }, (r) => {
    out.push(...events(r));
    for (const e of r.events) reached = Math.max(reached, e.revision);
    if (reached >= untilRevision) h.cancel();
  }, { timeoutMs: OPEN_TIMEOUT_MS });
  const timer = setTimeout(() => h.cancel(), withinMs);
  const end = await h.done;
  clearTimeout(timer);
  return end.reason === 'cancelled' && reached >= untilRevision ? out : null;
}
