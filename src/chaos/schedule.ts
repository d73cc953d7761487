// PURE. A seeded schedule of faults for `etcd-lab chaos`: the same seed, duration, members and fault kinds give
// the same schedule. One fault at a time, each undone before the next, each hitting at most a minority, so the
// cluster is never left without a quorum for longer than one fault's hold time. A ring cuts links of every member, but
// each still sees a majority.
import { LabError } from '../errors.js';
import { faultToleranceOf } from '../plan/count.js';
import { didYouMean } from '../plan/suggest.js';
import { seededRandom } from './targets.js';

export const FAULT_KINDS = ['kill', 'pause', 'partition', 'delay', 'drop', 'ring', 'term-leader', 'replace'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** What `chaos` injects without --faults; the others are asked for by name. */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'delay'];
/** The kinds that need chaos mode's proxies. */
export const NETWORK_FAULT_KINDS: readonly FaultKind[] = ['partition', 'delay', 'drop', 'ring'];

/** Stands for the member that leads when the fault fires. */
export const LEADER = 'leader';

export interface PlannedFault {
  /** 1-based position in the schedule. */
  n: number;
  /** When the fault starts, from the start of the run. */
  atMs: number;
  /** How long it lasts before it is undone. */
  holdMs: number;
  kind: FaultKind;
  /**
   * kill/pause/delay/drop/replace: the members hit; partition: the minority side; ring: every member, in ring order;
   * term-leader: LEADER. May hold LEADER.
   */
  members: string[];
  delayMs?: number;
  jitterMs?: number;
  /** drop: percent of the member's messages (both ways) dropped. */
  dropPct?: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  members: readonly string[];
  faults: readonly FaultKind[];
}

const FIRST_AT = [300, 1000] as const;
const HOLD = {
  kill: [500, 2500],
  pause: [400, 2000],
  partition: [600, 3000],
  delay: [500, 2500],
  drop: [500, 2500],
  ring: [600, 3000],
  'term-leader': [500, 2500],
  // How long the run waits after the new member caught up.
  replace: [300, 1000],
} as const;
/**
 * Time set aside for a replace itself (remove, add, catch up; etcd may wait up to 5 s for its health checks): the
 * schedule plans the next fault after it, and the run starts that one late when the replace took longer.
 */
export const REPLACE_BUDGET_MS = 4000;
const GAP = [400, 1500] as const;
const DELAY = [40, 300] as const;
const JITTER = [0, 40] as const;
const DROP = [10, 50] as const;

/** `kill,pause` -> kinds, refusing unknown ones. */
export function parseFaultKinds(text: string, where = '--faults'): FaultKind[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new LabError('USAGE', `${where} names no fault`, { hint: `choose from ${FAULT_KINDS.join(', ')}` });
  const out: FaultKind[] = [];
  for (const p of parts) {
    if (!(FAULT_KINDS as readonly string[]).includes(p)) {
      throw new LabError('USAGE', `${where}: unknown fault "${p}"${didYouMean(p, FAULT_KINDS)}`, { hint: `choose from ${FAULT_KINDS.join(', ')}` });
    }
    if (!out.includes(p as FaultKind)) out.push(p as FaultKind);
  }
  return out;
}

export function planSchedule(o: ScheduleOptions): PlannedFault[] {
  if (o.faults.length === 0) return [];
  const rand = seededRandom(o.seed);
  const between = (r: readonly [number, number]): number => Math.round(r[0] + rand() * (r[1] - r[0]));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tolerance = faultToleranceOf(o.members.length);
  const kinds = o.faults.filter((k) => (k === 'delay' || k === 'drop' ? o.members.length > 1 : k === 'ring' ? o.members.length >= 3 : tolerance > 0));
  const out: PlannedFault[] = [];
  if (kinds.length === 0) return out;
  let at = between(FIRST_AT);
  for (;;) {
    const kind = pick(kinds);
    const holdMs = between(HOLD[kind]);
    const busy = kind === 'replace' ? REPLACE_BUDGET_MS : 0;
    if (at + busy + holdMs > o.durationMs) break;
    // At most a minority; half the time the leader is one of them.
    const one = kind === 'delay' || kind === 'drop' || kind === 'replace';
    const count = one ? 1 : 1 + Math.floor(rand() * tolerance);
    const withLeader = rand() < 0.5;
    const others = shuffled(o.members, rand);
    const members = kind === 'ring' ? others : kind === 'term-leader' ? [LEADER] : withLeader ? [LEADER, ...others.slice(0, count - 1)] : others.slice(0, count);
    const f: PlannedFault = { n: out.length + 1, atMs: at, holdMs, kind, members };
    if (kind === 'delay') {
      f.delayMs = between(DELAY);
      f.jitterMs = between(JITTER);
    }
    if (kind === 'drop') f.dropPct = between(DROP);
    out.push(f);
    at += busy + holdMs + between(GAP);
  }
  return out;
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The members a fault hits once the leader is known: LEADER becomes the leader, or (no leader, or the leader is
 * already named) the first member in plan order that is not named yet.
 */
export function resolveFaultMembers(f: PlannedFault, leader: string | null, members: readonly string[]): string[] {
  const named = f.members.filter((m) => m !== LEADER);
  if (!f.members.includes(LEADER)) return named;
  const sub = leader !== null && !named.includes(leader) ? leader : members.find((m) => !named.includes(m));
  return sub === undefined ? named : [sub, ...named];
}

/** e.g. `kill leader+m3 for 1.20 s`, `delay m2 by 120±20 ms for 900 ms`, `drop 30% of m2's messages for 1.00 s`. */
export function describePlannedFault(f: PlannedFault): string {
  const who = f.members.join('+');
  const hold = f.holdMs < 1000 ? `${f.holdMs} ms` : `${(f.holdMs / 1000).toFixed(2)} s`;
  switch (f.kind) {
    case 'partition':
      return `partition ${who} from the rest for ${hold}`;
    case 'delay':
      return `delay ${who} by ${f.delayMs}${f.jitterMs ? `±${f.jitterMs}` : ''} ms for ${hold}`;
    case 'drop':
      return `drop ${f.dropPct}% of ${who}'s messages for ${hold}`;
    case 'ring':
      return `majorities ring ${f.members.join('-')} for ${hold}`;
    case 'term-leader':
      return `SIGTERM the leader (a leadership transfer), restart it after ${hold}`;
    case 'replace':
      return `replace ${who} by a new member (empty data dir), then ${hold} of quiet`;
    default:
      return `${f.kind} ${who} for ${hold}`;
  }
}
