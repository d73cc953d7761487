// PURE. A seeded schedule of faults for `etcd-lab chaos`: the same seed, duration, members and fault kinds give
// the same schedule. One fault at a time, each undone before the next, each hitting at most a minority, so the
// cluster is never left without a quorum for longer than one fault's hold time.
import { LabError } from '../errors.js';
import { faultToleranceOf } from '../plan/count.js';
import { didYouMean } from '../plan/suggest.js';
import { seededRandom } from './targets.js';

export const FAULT_KINDS = ['kill', 'pause', 'partition', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

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
  /** kill/pause/delay: the members hit; partition: the minority side. May hold LEADER. */
  members: string[];
  delayMs?: number;
  jitterMs?: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  members: readonly string[];
  faults: readonly FaultKind[];
}

const FIRST_AT = [300, 1000] as const;
const HOLD = { kill: [500, 2500], pause: [400, 2000], partition: [600, 3000], delay: [500, 2500] } as const;
const GAP = [400, 1500] as const;
const DELAY = [40, 300] as const;
const JITTER = [0, 40] as const;

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
  const kinds = o.faults.filter((k) => k === 'delay' ? o.members.length > 1 : tolerance > 0);
  const out: PlannedFault[] = [];
  if (kinds.length === 0) return out;
  let at = between(FIRST_AT);
  for (;;) {
    const kind = pick(kinds);
    const holdMs = between(HOLD[kind]);
    if (at + holdMs > o.durationMs) break;
    // At most a minority; half the time the leader is one of them.
    const count = kind === 'delay' ? 1 : 1 + Math.floor(rand() * tolerance);
    const withLeader = rand() < 0.5;
    const others = shuffled(o.members, rand);
    const members = withLeader ? [LEADER, ...others.slice(0, count - 1)] : others.slice(0, count);
    const f: PlannedFault = { n: out.length + 1, atMs: at, holdMs, kind, members };
    if (kind === 'delay') {
      f.delayMs = between(DELAY);
      f.jitterMs = between(JITTER);
    }
    out.push(f);
    at += holdMs + between(GAP);
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

/** e.g. `kill leader+m3 for 1.20 s`, `delay m2 by 120±20 ms for 900 ms`. */
export function describePlannedFault(f: PlannedFault): string {
  const who = f.members.join('+');
  const hold = f.holdMs < 1000 ? `${f.holdMs} ms` : `${(f.holdMs / 1000).toFixed(2)} s`;
  switch (f.kind) {
    case 'partition':
      return `partition ${who} from the rest for ${hold}`;
    case 'delay':
      return `delay ${who} by ${f.delayMs}${f.jitterMs ? `±${f.jitterMs}` : ''} ms for ${hold}`;
    default:
      return `${f.kind} ${who} for ${hold}`;
  }
}
