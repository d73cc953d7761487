// What a chaos run records besides the sequenced writer: the register workload's history and the watchers' logs,
// then, once the cluster is healthy again, the final key history the watch checker compares them with.
import type { RegisterOperation } from '../check/history.js';
import type { WatchedEvent, WatchLogEntry } from '../check/watch.js';
import type { EtcdClient } from '../etcd/client.js';
import { HistoryRecorder } from './history-recorder.js';
import type { Lab } from './lab.js';
import { RegisterWorkload, type WorkloadOptions } from './register-workload.js';
import { readFinalHistory, Watchers } from './watchers.js';

export type RecordingOptions = Omit<WorkloadOptions, 'prefix' | 'seed'>;

export interface Recorded {
  /** ISO time of t = 0 (every t and invoke/return is ms since then). */
  startedAt: string;
  history: RegisterOperation[];
  watchLog: WatchLogEntry[];
  /** A fresh watch from `startRevision` at the end; null when it could not be read (see `finalProblem`). */
  finalHistory: WatchedEvent[] | null;
  finalProblem?: string;
  startRevision: number;
  /** Revision of the last key written (after the workload stopped): every watcher should reach it. */
  endRevision: number;
  /** Watchers that had not reached `endRevision` when the checks ran. */
  watchersBehind: string[];
  /** Two-key txns put (not register operations). */
  txns: number;
}

const CALL_MS = 1000;

/** The first answer of `call` from any member, trying them in order for up to `withinMs`. */
async function anyMember<T>(clients: EtcdClient[], withinMs: number, call: (c: EtcdClient) => Promise<T>): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    for (const c of clients) {
      try {
        return await call(c);
      } catch (e) {
        last = e;
      }
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class RunRecording {
  readonly recorder = new HistoryRecorder();
  private readonly workload: RegisterWorkload;
  private watchers: Watchers | null = null;
  private startRevision = 0;
  private readonly clients: EtcdClient[];

  constructor(
    private readonly lab: Lab,
    /** The workload's key prefix: registers, txn pairs and the end marker live under it; the watchers watch it. */
    readonly prefix: string,
    seed: number,
    opts: RecordingOptions = {},
  ) {
    this.workload = new RegisterWorkload(lab, this.recorder, { ...opts, prefix, seed });
    this.clients = lab.memberNames.map((m) => lab.etcdClient(m, CALL_MS));
  }

  /**
   * Reads the current revision, opens the watchers from the next one, starts the clients. A serializable read
   * (no leader needed, no wait): a revision a little behind is as good, since no key under the run's fresh prefix
   * existed before.
   */
  async start(): Promise<void> {
    const rev = await anyMember(this.clients, 10_000, async (c) => Number((await c.get(`${this.prefix}start`, { serializable: true })).revision));
    this.startRevision = rev + 1;
    this.watchers = new Watchers(this.lab, this.prefix, this.startRevision, () => this.recorder.now());
    this.watchers.start();
    this.workload.start();
  }

  /** Stops the clients (each waits for its operation in flight, bounded by the client timeout). */
  stopWorkload(): Promise<void> {
    return this.workload.stop();
  }

  /** Without checks (an interrupted run): stops everything. */
  async abandon(): Promise<void> {
    await this.workload.stop();
    await this.watchers?.stop();
    for (const c of this.clients) c.close();
  }

  /**
   * Once the cluster is whole again: writes an end marker, waits (bounded) for every watcher to see it, stops
   * them and reads the final key history from the first member that gives it.
   */
  async finish(withinMs = 15_000): Promise<Recorded> {
    await this.workload.stop();
    let endRevision = 0;
    let finalHistory: WatchedEvent[] | null = null;
    let finalProblem: string | undefined;
    let behind: string[] = [];
    try {
      endRevision = await anyMember(this.clients, withinMs, async (c) => Number((await c.put(`${this.prefix}end`, 'end')).revision));
      behind = (await this.watchers?.waitReached(endRevision, withinMs)) ?? [];
    } catch (e) {
      finalProblem = `could not write the end marker: ${(e as Error).message}`;
    }
    await this.watchers?.stop();
    if (!finalProblem) {
      for (const c of this.clients) {
        finalHistory = await readFinalHistory(c, this.prefix, this.startRevision, endRevision, withinMs);
        if (finalHistory) break;
      }
      if (!finalHistory) finalProblem = `no member gave the key history from revision ${this.startRevision} to ${endRevision} (compacted?)`;
    }
    for (const c of this.clients) c.close();
    return {
      startedAt: this.recorder.startedAt,
      history: this.recorder.history(),
      watchLog: this.watchers?.log ?? [],
      finalHistory,
      ...(finalProblem ? { finalProblem } : {}),
      startRevision: this.startRevision,
      endRevision,
      watchersBehind: behind,
      txns: this.workload.txns,
    };
  }
}
