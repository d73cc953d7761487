// Watches who leads a cluster while faults hit it: fast bounded status polling of every member plus the raft
// role changes in the members' zap logs. Emits timeline entries (`'entry'` events) and keeps them.
import { EventEmitter } from 'node:events';
import { EtcdClient } from '../etcd/client.js';
import { parseLogLine, raftEvent, type RaftEvent } from '../etcd/zap.js';
import { quorumOf } from '../plan/count.js';
import type { Lab } from './lab.js';
import { summarize, type TimelineEntry, type TimelineSummary } from './timeline.js';

export interface ObserverOptions {
  /** Pause between two status calls to one member. Default 30 ms. */
  pollMs?: number;
  /** Bound on one status call: a member without a leader, or paused, may not answer. Default 250 ms. */
  statusTimeoutMs?: number;
}

export interface LeaderView {
  name: string;
  term: number;
  /** t when it was found. */
  since: number;
}

interface Answer {
  at: number;
  ok: boolean;
  memberId?: string;
  leaderId?: string | null;
  term?: number;
}

/** What a fault is about to do, told before it is injected so a lost leader is dated at the injection. */
export interface FaultIntent {
  action: string;
  /** Members killed, paused or isolated; for a partition, every member. */
  members: string[];
  groups?: string[][];
}

type NewEntry = Omit<TimelineEntry, 't' | 'at'> & { t?: number };

/** An answer older than this no longer counts as what the member says now. */
const FRESH_MS = 400;
/** A leader no majority follows (by polling alone) for this long is taken as lost. */
const POLL_LOSS_MS = 400;

export class ElectionObserver extends EventEmitter {
  readonly entries: TimelineEntry[] = [];
  private readonly startWall = Date.now();
  private readonly pollMs: number;
  private readonly statusTimeoutMs: number;
  private readonly clients = new Map<string, EtcdClient>();
  private readonly answers = new Map<string, Answer>();
  private readonly idToName = new Map<string, string>();
  private readonly quorum: number;
  private current: (LeaderView & { id: string | null }) | null = null;
  /** Since when the cluster has had no leader (t); null while it has one or before any was seen. */
  private lostAt: number | null = null;
  /** Leaders at a lower term are stale: a loss known for sure forbids the same term again. */
  private minTerm = 0;
  /** A loss assumed from polling only: the same leader coming back is not an election. */
  private doubtful: { name: string; term: number } | null = null;
  private noMajoritySince: number | null = null;
  /** Earliest candidacy (t) per term since the current leader was found. */
  private candidacies = new Map<number, number>();
  private pending: (FaultIntent & { t: number }) | null = null;
  private running = false;
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => void) | null = null;
  private stoppedAt: number | null = null;

  constructor(
    private readonly lab: Lab,
    opts: ObserverOptions = {},
  ) {
    super();
    this.pollMs = opts.pollMs ?? 30;
    this.statusTimeoutMs = opts.statusTimeoutMs ?? 250;
    this.quorum = quorumOf(lab.memberNames.length);
  }

  /** ms since the observer was made. */
  now(): number {
    return Date.now() - this.startWall;
  }

  leader(): LeaderView | null {
    return this.current ? { name: this.current.name, term: this.current.term, since: this.current.since } : null;
  }

  /** Subscribes to logs and starts polling; resolves after the first round of answers (bounded). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.lab.onLine((member, text) => this.onLine(member, text));
    const first = this.lab.memberNames.map((name) => {
      const client = this.lab.etcdClient(name, this.statusTimeoutMs);
      this.clients.set(name, client);
      let resolveFirst!: () => void;
      const firstRound = new Promise<void>((r) => (resolveFirst = r));
      this.loops.push(this.pollLoop(name, client, resolveFirst));
      return firstRound;
    });
    await Promise.all(first);
    if (!this.current && this.lostAt === null) {
      this.lostAt = 0;
      this.add({ kind: 'leader-lost', t: 0, reason: 'none when the observer started' });
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stoppedAt = this.now();
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all(this.loops);
    this.loops = [];
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** Adds an entry (a write, a read, a check, a note) to the timeline. */
  record(e: NewEntry): TimelineEntry {
    return this.add(e);
  }

  /** Call right before injecting a fault; returns its time. `recordFault` adds the entry once the lab answered. */
  faultStarting(intent: FaultIntent): number {
    const t = this.now();
    this.pending = { ...intent, t };
    return t;
  }

  /** The fault entry, dated when it started; a leader it cut off is lost at that moment. */
  recordFault(text: string, extra: Partial<TimelineEntry> = {}): TimelineEntry {
    const p = this.pending;
    this.pending = null;
    const t = p?.t ?? this.now();
    const entry = this.add({ kind: 'fault', t, text, ...(p ? { action: p.action, members: p.members } : {}), ...extra });
    if (p && this.current) {
      const why = this.lossReason(p, this.current.name);
      if (why) this.lose(t, why, true);
    }
    return entry;
  }

  /** Forget a fault announced with faultStarting that did not happen (the lab refused it). */
  faultFailed(): void {
    this.pending = null;
  }

  /** Waits until a leader not in `not` is known; null after `withinMs`. */
  async waitLeader(opts: { not?: readonly string[]; withinMs: number; signal?: AbortSignal }): Promise<LeaderView | null> {
    const deadline = Date.now() + opts.withinMs;
    for (;;) {
      const l = this.leader();
      if (l && !(opts.not ?? []).includes(l.name)) return l;
      if (Date.now() >= deadline || opts.signal?.aborted) return null;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  summary(): TimelineSummary {
    return summarize(this.entries, this.stoppedAt ?? this.now());
  }

  /** The hex member ID of a member, once it answered or logged. */
  memberId(name: string): string | null {
    for (const [id, n] of this.idToName) if (n === name) return id;
    return null;
  }

  private add(e: NewEntry): TimelineEntry {
    const t = Math.max(0, Math.round(e.t ?? this.now()));
    const entry = { ...e, t, at: new Date(this.startWall + t).toISOString() } as TimelineEntry;
    this.entries.push(entry);
    this.emit('entry', entry);
    return entry;
  }

  private lossReason(p: FaultIntent & { t: number }, leader: string): string | null {
    if (p.action === 'partition' && p.groups) {
      const side = p.groups.find((g) => g.includes(leader));
      return side && side.length < this.quorum ? `partitioned into a minority (${side.join(', ')})` : null;
    }
    if (!p.members.includes(leader)) return null;
    if (p.action === 'kill') return 'killed';
    if (p.action === 'pause') return 'paused';
    if (p.action === 'isolate') return 'isolated from the others';
    return null;
  }

  private async pollLoop(name: string, client: EtcdClient, firstDone: () => void): Promise<void> {
    let first = true;
    while (this.running) {
      let a: Answer;
      try {
        const s = await client.status({ timeoutMs: this.statusTimeoutMs });
        this.idToName.set(s.memberId, name);
        a = { at: this.now(), ok: true, memberId: s.memberId, leaderId: s.leader, term: Number(s.raftTerm) };
      } catch {
        a = { at: this.now(), ok: false };
      }
      if (!this.running) break;
      this.answers.set(name, a);
      if (first) {
        first = false;
        firstDone();
      }
      this.evaluate();
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    if (first) firstDone();
  }

  /** Polling view: a leader a majority follows is elected; a leader no majority follows for a while is lost. */
  private evaluate(): void {
    const now = this.now();
    const acks = new Map<string, { leaderId: string; term: number; count: number }>();
    for (const a of this.answers.values()) {
      if (!a.ok || now - a.at > FRESH_MS || !a.leaderId || a.term === undefined) continue;
      const k = `${a.leaderId}@${a.term}`;
      const v = acks.get(k) ?? { leaderId: a.leaderId, term: a.term, count: 0 };
      v.count++;
      acks.set(k, v);
    }
    let best: { leaderId: string; term: number } | null = null;
    for (const v of acks.values()) if (v.count >= this.quorum && (!best || v.term > best.term)) best = v;
    if (best) {
      const name = this.idToName.get(best.leaderId);
      if (name) this.elect(name, best.term, best.leaderId, now);
    }
    const cur = this.current;
    if (!cur) return;
    // status raftTerm is the term of the member's last applied entry (docs/etcd-facts.md#status-and-health-over-http):
    // a leader the log saw elected at term T is named at T-1 or older until its first entry is applied, which under
    // load can take longer than POLL_LOSS_MS. Naming it at a term up to T is following it.
    let following = 0;
    for (const v of acks.values()) if (v.term <= cur.term && this.idToName.get(v.leaderId) === cur.name) following += v.count;
    if (following >= this.quorum) {
      this.noMajoritySince = null;
      return;
    }
    this.noMajoritySince ??= now;
    if (now - this.noMajoritySince >= POLL_LOSS_MS) this.lose(this.noMajoritySince, 'no majority follows it', false);
  }

  private onLine(member: string, text: string): void {
    const line = parseLogLine(text);
    const ev = line ? raftEvent(line) : null;
    if (!ev) return;
    this.idToName.set(ev.memberId, member);
    const t = Math.max(0, ev.at.getTime() - this.startWall);
    this.onRaft(member, ev, t);
  }

  private onRaft(member: string, ev: RaftEvent, t: number): void {
    const term = ev.term ?? 0;
    switch (ev.kind) {
      case 'became-leader':
        this.elect(member, term, ev.memberId, t);
        break;
      case 'became-candidate':
      case 'became-pre-candidate':
      case 'became-follower': {
        const cur = this.current;
        if (ev.kind !== 'became-follower' && (!cur || term > cur.term)) {
          const seen = this.candidacies.get(term);
          if (seen === undefined || t < seen) this.candidacies.set(term, t);
        }
        if (cur && cur.name === member && term >= cur.term && t >= cur.since) {
          this.lose(t, ev.kind === 'became-follower' ? `stepped down (follower at term ${term})` : `stepped down (candidate at term ${term})`, true);
        }
        break;
      }
      default:
        break;
    }
  }

  private elect(name: string, term: number, id: string | null, t: number): void {
    const cur = this.current;
    if (cur && cur.name === name && cur.term === term) return;
    if (term < this.minTerm) return;
    if (cur && term <= cur.term) return;
    // A log line read late can date an election before the loss polling saw: the timeline stays in order (an election
    // follows its loss), so it is dated at the loss, with no leaderless stretch.
    if (!cur && this.lostAt !== null && t < this.lostAt) t = this.lostAt;
    if (cur) {
      // A new term without a loss seen first: date the loss at the fault that hit it, else the first campaign.
      const p = this.pending;
      const why = p ? this.lossReason(p, cur.name) : null;
      let from = why && p ? p.t : Infinity;
      for (const [ct, at] of this.candidacies) if (ct > cur.term && ct <= term && at < from) from = at;
      if (!Number.isFinite(from) || from > t) from = t;
      this.lose(Math.max(from, cur.since), why ?? `replaced by ${name} at term ${term}`, true);
    }
    const same = this.doubtful !== null && this.doubtful.name === name && this.doubtful.term === term;
    const gap = this.lostAt === null ? undefined : Math.max(0, Math.round(t - this.lostAt));
    this.current = { name, term, since: t, id };
    this.lostAt = null;
    this.doubtful = null;
    this.noMajoritySince = null;
    this.candidacies = new Map();
    this.minTerm = term;
    this.add({ kind: 'leader-elected', t, member: name, term, ...(gap !== undefined ? { withoutLeaderMs: gap } : {}), ...(same ? { same: true } : {}) });
  }

  private lose(t: number, reason: string, sure: boolean): void {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    this.lostAt = t;
    this.minTerm = sure ? cur.term + 1 : cur.term;
    this.doubtful = sure ? null : { name: cur.name, term: cur.term };
    this.noMajoritySince = null;
    this.add({ kind: 'leader-lost', t, member: cur.name, term: cur.term, reason });
  }
}
