// The network fault model: one rule per directed pair of members, keyed by member NAME so a rule survives a
// restart of the member. Pure: every operation returns a new table and leaves its input untouched.
// Faults accumulate (a partition adds cuts, it never reopens a link); only `heal` and `delay(..., 0, 0)` remove.
import { LabError } from '../errors.js';
import { closest } from '../plan/suggest.js';
import { majoritiesRing } from './ring.js';

export interface LinkRule {
  /** Nothing passes from `from` to `to`. */
  readonly cut: boolean;
  /** Every message on the link is held this long (plus or minus jitter). */
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Percent (0-100) of the link's messages that are dropped; see `dropsMessage`. */
  readonly dropPct: number;
}

export interface LinkTable {
  readonly members: readonly string[];
  /** rules[from][to]; every ordered pair of distinct members is present. */
  readonly rules: Readonly<Record<string, Readonly<Record<string, LinkRule>>>>;
}

export type DelayTarget = { member: string } | { from: string; to: string };

export const OPEN_LINK: LinkRule = Object.freeze({ cut: false, delayMs: 0, jitterMs: 0, dropPct: 0 });

export function emptyLinks(members: readonly string[]): LinkTable {
  const seen = new Set<string>();
  for (const m of members) {
    if (m === '') throw new LabError('BAD_NAME', 'a member name is empty');
    if (seen.has(m)) throw new LabError('BAD_NAME', `member name "${m}" appears twice`, { hint: 'give every member its own name' });
    seen.add(m);
  }
  const rules: Record<string, Record<string, LinkRule>> = {};
  for (const from of members) {
    rules[from] = {};
    for (const to of members) if (to !== from) rules[from][to] = OPEN_LINK;
  }
  return { members: [...members], rules };
}

/** Members in different groups can no longer talk, in either direction. Every member must be in exactly one group. */
export function partition(t: LinkTable, groups: readonly (readonly string[])[]): LinkTable {
  if (groups.length < 2) {
    throw new LabError('BAD_PARTITION', `a partition needs at least 2 groups, got ${groups.length}`, {
      hint: 'e.g. m1,m2 / m3 (to cut one member off from all others, isolate it)',
    });
  }
  const groupOf = new Map<string, number>();
  groups.forEach((group, gi) => {
    if (group.length === 0) throw new LabError('BAD_PARTITION', `group ${gi + 1} of the partition is empty`);
    for (const m of group) {
      if (!isMember(t, m)) {
        throw new LabError('BAD_PARTITION', `the partition names "${m}", which is not a member`, { hint: memberHint(t, m) });
      }
      const prev = groupOf.get(m);
      if (prev !== undefined) {
        const where = prev === gi ? `twice in group ${gi + 1}` : `in groups ${prev + 1} and ${gi + 1}`;
        throw new LabError('BAD_PARTITION', `member "${m}" is ${where} of the partition`, { hint: 'put every member in exactly one group' });
      }
      groupOf.set(m, gi);
    }
  });
  const left = t.members.filter((m) => !groupOf.has(m));
  if (left.length > 0) {
    throw new LabError('BAD_PARTITION', `the partition leaves out ${left.map((m) => `"${m}"`).join(', ')}`, {
      hint: 'put every member in exactly one group',
    });
  }
  return update(t, (from, to, r) => (groupOf.get(from) !== groupOf.get(to) ? { ...r, cut: true } : r));
}

/**
 * Jepsen's majorities ring (see ring.ts): members are placed on a ring in `order` (every member exactly once) and
 * every link between two members that do not see each other is cut, both ways.
 */
export function ring(t: LinkTable, order: readonly string[]): LinkTable {
  for (const m of order) {
    if (!isMember(t, m)) throw new LabError('BAD_PARTITION', `the ring names "${m}", which is not a member`, { hint: memberHint(t, m) });
  }
  const left = t.members.filter((m) => !order.includes(m));
  if (left.length > 0) {
    throw new LabError('BAD_PARTITION', `the ring leaves out ${left.map((m) => `"${m}"`).join(', ')}`, { hint: 'place every member on the ring once' });
  }
  const sees = majoritiesRing(order);
  return update(t, (from, to, r) => (sees.get(from)!.has(to) ? r : { ...r, cut: true }));
}

/**
 * The members that cannot exchange messages both ways with a majority of the cluster (themselves included) through
 * uncut links: after a ring over earlier cuts, those the ring's promise no longer holds for.
 */
export function withoutMajority(t: LinkTable): string[] {
  const majority = Math.floor(t.members.length / 2) + 1;
  return t.members.filter((m) => 1 + t.members.filter((o) => o !== m && !t.rules[m]![o]!.cut && !t.rules[o]![m]!.cut).length < majority);
}

/** Cuts every link to and from `member`. */
export function isolate(t: LinkTable, member: string): LinkTable {
  requireMember(t, member);
  if (t.members.length < 2) throw new LabError('BAD_TARGET', `"${member}" is the only member: there is nothing to isolate it from`);
  return update(t, (from, to, r) => (from === member || to === member ? { ...r, cut: true } : r));
}

/** Cuts one direction only: `from` can no longer send to `to`. */
export function cut(t: LinkTable, from: string, to: string): LinkTable {
  requirePair(t, from, to);
  return update(t, (f, d, r) => (f === from && d === to ? { ...r, cut: true } : r));
}

/**
 * Sets the delay of one directed link, or of every link to and from a member (both ways).
 * A message is held `delayMs ± jitterMs` (never less than 0). `delay(t, target, 0, 0)` removes the delay.
 */
export function delay(t: LinkTable, target: DelayTarget, delayMs: number, jitterMs = 0): LinkTable {
  checkMs('delay', delayMs);
  checkMs('jitter', jitterMs);
  const hits = targetHits(t, target);
  return update(t, (f, d, r) => (hits(f, d) ? { ...r, delayMs, jitterMs } : r));
}

function targetHits(t: LinkTable, target: DelayTarget): (from: string, to: string) => boolean {
  if ('member' in target) {
    requireMember(t, target.member);
    return (f, d) => f === target.member || d === target.member;
  }
  requirePair(t, target.from, target.to);
  return (f, d) => f === target.from && d === target.to;
}

/**
 * Drops a share of the messages of one directed link, or of every link to and from a member (both ways).
 * `pct` is a percentage, 0 to 100 (up to two decimals); 100 behaves like a cut, 0 removes the drop.
 */
export function drop(t: LinkTable, target: DelayTarget, pct: number): LinkTable {
  if (!Number.isFinite(pct) || pct < 0 || pct > 100 || Math.round(pct * 100) !== pct * 100) {
    throw new LabError('USAGE', `a drop rate must be a percentage from 0 to 100 (at most two decimals), got ${pct}`, { hint: 'e.g. 30%' });
  }
  const hits = targetHits(t, target);
  return update(t, (f, d, r) => (hits(f, d) ? { ...r, dropPct: pct } : r));
}

/** Whether this message on this link is dropped: a fresh draw for every message, so drops are independent. */
export function dropsMessage(rule: LinkRule, rand: () => number): boolean {
  return rule.dropPct > 0 && rand() * 100 < rule.dropPct;
}

/** Parses `30%` (or `30`, `12.5%`) into a percentage from 0 to 100. */
export function parseDropRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d{1,2})?)\s*%?\s*$/.exec(text);
  const pct = m ? Number(m[1]) : NaN;
  if (!m || pct > 100) {
    throw new LabError('USAGE', `"${text}" is not a drop rate: expected a percentage from 0% to 100%`, { hint: 'e.g. 30% (100% behaves like a cut, 0% removes the drop)' });
  }
  return pct;
}

/** Every link open, no delay, no drop. */
export function heal(t: LinkTable): LinkTable {
  return emptyLinks(t.members);
}

/** The rule for messages from `from` to `to`. A member always reaches itself. */
export function link(t: LinkTable, from: string, to: string): LinkRule {
  requireMember(t, from);
  requireMember(t, to);
  if (from === to) return OPEN_LINK;
  return t.rules[from][to];
}

export function isClean(t: LinkTable): boolean {
  return t.members.every((f) => t.members.every((d) => f === d || isOpen(t.rules[f][d])));
}

/**
 * One line per faulty directed link, e.g. `m1 -x-> m2`, `m1 ~200ms±50~> m3`, `m1 -30%-> m2`, `m1 -30% ~200ms~> m2`;
 * empty when all links are clean.
 */
export function describe(t: LinkTable): string[] {
  const lines: string[] = [];
  for (const from of t.members) {
    for (const to of t.members) {
      if (from === to) continue;
      const r = t.rules[from][to];
      const delayed = r.delayMs > 0 || r.jitterMs > 0 ? `~${r.delayMs}ms${r.jitterMs > 0 ? `±${r.jitterMs}` : ''}~>` : '';
      if (r.cut) lines.push(`${from} -x-> ${to}`);
      else if (r.dropPct > 0) lines.push(`${from} -${r.dropPct}%${delayed ? ` ${delayed}` : '->'} ${to}`);
      else if (delayed) lines.push(`${from} ${delayed} ${to}`);
    }
  }
  return lines;
}

/** Parses `FROM->TO` (spaces allowed around the arrow) into a directed pair of members. */
export function parseLinkSpec(spec: string, members: readonly string[]): { from: string; to: string } {
  const parts = spec.split('->');
  const example = members.length >= 2 ? `${members[0]}->${members[1]}` : 'm1->m2';
  if (parts.length !== 2 || parts[0].trim() === '' || parts[1].trim() === '' || parts[0].endsWith('<')) {
    throw new LabError('BAD_TARGET', `"${spec}" is not a link: expected FROM->TO`, {
      hint: `e.g. ${example} (one direction; cut the other direction separately for a two-way cut)`,
    });
  }
  const from = parts[0].trim();
  const to = parts[1].trim();
  const t = { members };
  for (const m of [from, to]) {
    if (!members.includes(m)) {
      throw new LabError('UNKNOWN_MEMBER', `unknown member "${m}" in link "${spec}"`, { hint: memberHint(t, m) });
    }
  }
  if (from === to) throw new LabError('BAD_TARGET', `link "${spec}" goes from a member to itself`, { hint: `e.g. ${example}` });
  return { from, to };
}

/** A delay for one message on this link: uniform in [delayMs - jitterMs, delayMs + jitterMs], at least 0, whole ms. */
export function sampleDelay(rule: LinkRule, rand: () => number): number {
  if (rule.jitterMs <= 0) return Math.max(0, Math.round(rule.delayMs));
  return Math.max(0, Math.round(rule.delayMs + (rand() * 2 - 1) * rule.jitterMs));
}

function isOpen(r: LinkRule): boolean {
  return !r.cut && r.delayMs === 0 && r.jitterMs === 0 && r.dropPct === 0;
}

function isMember(t: { members: readonly string[] }, m: string): boolean {
  return t.members.includes(m);
}

function memberHint(t: { members: readonly string[] }, m: string): string {
  const guess = closest(m, t.members);
  const known = `members: ${t.members.join(', ')}`;
  return guess === undefined ? known : `did you mean "${guess}"? (${known})`;
}

function requireMember(t: LinkTable, m: string): void {
  if (!isMember(t, m)) throw new LabError('UNKNOWN_MEMBER', `unknown member "${m}"`, { hint: memberHint(t, m) });
}

function requirePair(t: LinkTable, from: string, to: string): void {
  requireMember(t, from);
  requireMember(t, to);
  if (from === to) throw new LabError('BAD_TARGET', `a link needs two different members, got "${from}" twice`, { hint: 'e.g. m1->m2' });
}

function checkMs(what: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0 || !Number.isInteger(ms)) {
    throw new LabError('BAD_DURATION', `${what} must be a whole number of milliseconds >= 0, got ${ms}`);
  }
}

function update(t: LinkTable, f: (from: string, to: string, r: LinkRule) => LinkRule): LinkTable {
  const rules: Record<string, Record<string, LinkRule>> = {};
  for (const from of t.members) {
    rules[from] = {};
    for (const to of t.members) if (to !== from) rules[from][to] = f(from, to, t.rules[from][to]);
  }
  return { members: t.members, rules };
}
