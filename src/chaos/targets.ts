// Turns a fault target (a name, or leader | follower | random | quorum | all) into member names, from live status. Pure.
import { LabError } from '../errors.js';
import { didYouMean } from '../plan/suggest.js';
import { quorumOf } from '../plan/count.js';
import type { StatusReport } from '../supervisor/status.js';

export const TARGET_WORDS = ['leader', 'follower', 'random', 'quorum', 'all'] as const;

/** A small seeded generator (mulberry32): the same seed gives the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length)]!;
}

export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * `alive` decides which members a word may pick (running for kill/pause, paused for resume...).
 * Names are returned in plan order, except `quorum`, which takes the leader first.
 */
export function resolveTarget(
  target: string,
  report: StatusReport,
  rand: () => number,
  alive: (m: StatusReport['members'][number]) => boolean = (m) => m.state === 'running',
): string[] {
  const names = report.members.map((m) => m.name);
  if (names.includes(target)) return [target];
  const live = report.members.filter(alive);
  const none = (what: string): never => {
    throw new LabError('BAD_TARGET', `no ${what} to act on right now`, { hint: 'see `etcd-lab status`' });
  };
  switch (target) {
    case 'leader': {
      const l = report.members.find((m) => m.isLeader && alive(m));
      if (!l) {
        throw new LabError('BAD_TARGET', 'the cluster has no leader right now', {
          hint: 'wait for an election (etcd-lab status), or name a member',
        });
      }
      return [l.name];
    }
    case 'follower': {
      const f = live.filter((m) => !m.isLeader);
      if (f.length === 0) none('follower');
      return [pick(f, rand).name];
    }
    case 'random':
      if (live.length === 0) none('member');
      return [pick(live, rand).name];
    case 'all':
      if (live.length === 0) none('member');
      return live.map((m) => m.name);
    case 'quorum': {
      // Enough members that the ones left cannot form a majority of the whole cluster.
      const need = live.length - quorumOf(names.length) + 1;
      if (need <= 0) return [];
      const leader = live.filter((m) => m.isLeader);
      const rest = shuffle(live.filter((m) => !m.isLeader), rand);
      return [...leader, ...rest].slice(0, need).map((m) => m.name);
    }
    default:
      throw new LabError('UNKNOWN_MEMBER', `no member "${target}"${didYouMean(target, [...names, ...TARGET_WORDS])}`, {
        hint: `targets: ${names.join(', ')}, or ${TARGET_WORDS.join(', ')}`,
      });
  }
}
