// PURE. What the election observer saw, as entries; rendered as live lines and summed up.
import pc from 'picocolors';
import { formatDuration } from '../plan/duration.js';

export type TimelineKind =
  | 'fault'
  | 'leader-lost'
  | 'leader-elected'
  | 'write-ok'
  | 'write-failed'
  | 'read-ok'
  | 'read-failed'
  | 'check'
  | 'note';

export interface TimelineEntry {
  /** ms since the observer started. */
  t: number;
  /** ISO time. */
  at: string;
  kind: TimelineKind;
  /** The leader (leader-*), the member a request went through (write-*, read-*). */
  member?: string;
  term?: number;
  /** leader-elected: how long the cluster had no leader before this one (absent for the first leader seen). */
  withoutLeaderMs?: number;
  /** leader-elected: the same leader and term as before the loss was assumed (not an election). */
  same?: boolean;
  /** fault: what was done (kill, partition...); the members it hit. */
  action?: string;
  members?: string[];
  /** fault: e.g. link descriptions; leader-lost: why; *-failed: why. */
  reason?: string;
  key?: string;
  value?: string | null;
  /** Request duration (write-*, read-*) or time the check took. */
  ms?: number;
  revision?: string;
  /** check: passed or not. */
  ok?: boolean;
  /** check / note / fault: the words to show. */
  text?: string;
}

/** Fault entries that undo faults: not counted as faults, shown as repairs. */
export const REPAIR_ACTIONS: ReadonlySet<string> = new Set(['restart', 'resume', 'heal']);

function isRepair(e: TimelineEntry): boolean {
  return e.action !== undefined && REPAIR_ACTIONS.has(e.action);
}

export interface LeaderGap {
  /** When the leader was lost (t). */
  from: number;
  /** When the next leader was found; null when there was none at the end. */
  to: number | null;
  ms: number;
}

export interface TimelineSummary {
  durationMs: number;
  faults: number;
  /** Leaders found after a loss (the first leader seen is not an election). */
  elections: number;
  gaps: LeaderGap[];
  longestWithoutLeaderMs: number;
  /** True when the run ended without a leader. */
  noLeaderAtEnd: boolean;
  writes: { ok: number; failed: number };
  reads: { ok: number; failed: number };
  checks: { passed: number; failed: number };
}

/** Sums up entries (in any order); `endT` closes a gap still open at the end. */
export function summarize(entries: readonly TimelineEntry[], endT: number): TimelineSummary {
  const sorted = [...entries].sort((a, b) => a.t - b.t);
  const gaps: LeaderGap[] = [];
  let lostAt: number | null = null;
  let elections = 0;
  const s: TimelineSummary = {
    durationMs: Math.max(0, Math.round(endT)),
    faults: 0,
    elections: 0,
    gaps,
    longestWithoutLeaderMs: 0,
    noLeaderAtEnd: false,
    writes: { ok: 0, failed: 0 },
    reads: { ok: 0, failed: 0 },
    checks: { passed: 0, failed: 0 },
  };
  for (const e of sorted) {
    switch (e.kind) {
      case 'fault':
        if (!isRepair(e)) s.faults++;
        break;
      case 'leader-lost':
        lostAt ??= e.t;
        break;
      case 'leader-elected':
        if (lostAt !== null) {
          gaps.push({ from: lostAt, to: e.t, ms: Math.round(e.t - lostAt) });
          if (!e.same) elections++;
        }
        lostAt = null;
        break;
      case 'write-ok':
        s.writes.ok++;
        break;
      case 'write-failed':
        s.writes.failed++;
        break;
      case 'read-ok':
        s.reads.ok++;
        break;
      case 'read-failed':
        s.reads.failed++;
        break;
      case 'check':
        if (e.ok) s.checks.passed++;
        else s.checks.failed++;
        break;
      case 'note':
        break;
    }
  }
  if (lostAt !== null) {
    gaps.push({ from: lostAt, to: null, ms: Math.max(0, Math.round(endT - lostAt)) });
    s.noLeaderAtEnd = true;
  }
  s.elections = elections;
  s.longestWithoutLeaderMs = gaps.reduce((m, g) => Math.max(m, g.ms), 0);
  return s;
}

export interface RenderOptions {
  color: boolean;
}

/** `+   812 ms` (ms up to 100 s, then seconds): fixed width so lines align. */
export function renderOffset(t: number): string {
  const ms = Math.max(0, Math.round(t));
  if (ms < 100_000) return `+${String(ms).padStart(6)} ms`;
  return `+${(ms / 1000).toFixed(1).padStart(7)} s`;
}

function request(e: TimelineEntry, verb: 'put' | 'get'): string {
  const via = e.member ? ` via ${e.member}` : '';
  const val = verb === 'put' && e.value !== undefined && e.value !== null ? ` = ${e.value}` : '';
  return `${verb} ${e.key ?? '?'}${val}${via}`;
}

/** The words of one entry, without the time. */
export function describeEntry(e: TimelineEntry): string {
  const took = e.ms !== undefined ? ` in ${formatDuration(e.ms)}` : '';
  switch (e.kind) {
    case 'fault':
      return `${isRepair(e) ? 'repair' : 'fault'}: ${e.text ?? `${e.action ?? '?'} ${(e.members ?? []).join(', ')}`}`;
    case 'leader-lost':
      if (e.member === undefined) return `no leader${e.reason ? `: ${e.reason}` : ''}`;
      return `leader ${e.member ?? '?'}${e.term !== undefined ? ` (term ${e.term})` : ''} lost${e.reason ? `: ${e.reason}` : ''}`;
    case 'leader-elected': {
      const who = `${e.member ?? '?'}${e.term !== undefined ? ` (term ${e.term})` : ''}`;
      if (e.same) return `leader ${who} is back after ${formatDuration(e.withoutLeaderMs ?? 0)}`;
      if (e.withoutLeaderMs === undefined) return `leader ${who}`;
      return `new leader ${who} after ${formatDuration(e.withoutLeaderMs)} without a leader`;
    }
    case 'write-ok':
      return `${request(e, 'put')}: ok${took}${e.revision ? ` (revision ${e.revision})` : ''}`;
    case 'write-failed':
      return `${request(e, 'put')}: failed${took}${e.reason ? ` (${e.reason})` : ''}`;
    case 'read-ok': {
      const v = e.value === null ? 'absent' : JSON.stringify(e.value);
      return `${request(e, 'get')}: ${v}${took}`;
    }
    case 'read-failed':
      return `${request(e, 'get')}: failed${took}${e.reason ? ` (${e.reason})` : ''}`;
    case 'check':
      return `${e.ok ? 'PASS' : 'FAIL'}  ${e.text ?? ''}`;
    case 'note':
      return e.text ?? '';
  }
}

/** One live line, e.g. `+   812 ms  new leader m3 (term 5) after 143 ms without a leader`. */
export function renderEntry(e: TimelineEntry, opts: RenderOptions): string {
  const c = pc.createColors(opts.color);
  const text = describeEntry(e);
  const paint: Record<TimelineKind, (s: string) => string> = {
    fault: isRepair(e) ? c.cyan : c.magenta,
    'leader-lost': c.red,
    'leader-elected': (s) => c.bold(c.green(s)),
    'write-ok': (s) => s,
    'write-failed': c.yellow,
    'read-ok': (s) => s,
    'read-failed': c.yellow,
    check: e.ok ? c.green : (s) => c.bold(c.red(s)),
    note: c.dim,
  };
  return `${c.dim(renderOffset(e.t))}  ${paint[e.kind](text)}`;
}

/** A few lines that sum a run up. */
export function renderSummary(s: TimelineSummary): string[] {
  const lines = [
    `faults: ${s.faults}, elections: ${s.elections}, longest time without a leader: ${formatDuration(s.longestWithoutLeaderMs)}${s.noLeaderAtEnd ? ' (no leader at the end)' : ''}`,
  ];
  if (s.writes.ok + s.writes.failed > 0) lines.push(`writes: ${s.writes.ok} ok, ${s.writes.failed} failed or timed out`);
  if (s.reads.ok + s.reads.failed > 0) lines.push(`reads: ${s.reads.ok} ok, ${s.reads.failed} failed or timed out`);
  return lines;
}
