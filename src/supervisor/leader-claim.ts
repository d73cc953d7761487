// PURE. Which leader the members' status answers point at.
import type { EtcdStatus } from '../etcd/client.js';

export interface LeaderClaim {
  /** Hex member ID of the leader. */
  id: string;
  /** The newest term among the answers naming it (etcd's `raftTerm`: the term of the last entry applied). */
  term: bigint;
}

function termOf(s: EtcdStatus): bigint {
  try {
    return BigInt(s.raftTerm);
  } catch {
    return 0n;
  }
}

/**
 * The leader the answers point at, or null when they do not settle it.
 *
 * etcd's status `raftTerm` is the term of the last entry a member applied, not raft's current term: a member just
 * elected names itself leader but shows its predecessor's term until its first entry commits. So a claim is ranked
 * by the newest term among the answers naming that leader, then by how many answers name it. A leader cut off from
 * the others keeps naming itself, but the members that elected its successor moved on (a vote clears the leader a
 * member knows), so at most a minority still names it. When two leaders tie on both counts (each names only
 * itself, at the same term), the answers do not tell which one is current: null, and a caller asks again.
 *
 * A leader named by a majority of `answers` (one per member, null for a member that did not answer) wins before any
 * of that: a member stops naming a leader when it votes or campaigns, so no leader but the current one keeps a
 * majority. That covers an old leader whose own answer shows a newer term than its successor's voters still do (it
 * had applied its first entry, they had not heard it commit, when it was cut off).
 */
export function pickLeader(answers: readonly (EtcdStatus | null)[]): LeaderClaim | null {
  const claims = new Map<string, { term: bigint; named: number }>();
  for (const s of answers) {
    if (!s?.leader) continue;
    const term = termOf(s);
    const c = claims.get(s.leader);
    if (!c) claims.set(s.leader, { term, named: 1 });
    else claims.set(s.leader, { term: term > c.term ? term : c.term, named: c.named + 1 });
  }
  const majority = Math.floor(answers.length / 2) + 1;
  for (const [id, c] of claims) if (c.named >= majority) return { id, term: c.term };
  let best: (LeaderClaim & { named: number }) | null = null;
  let tied = false;
  for (const [id, c] of claims) {
    const order = best === null ? 1 : c.term !== best.term ? (c.term > best.term ? 1 : -1) : Math.sign(c.named - best.named);
    if (order > 0) {
      best = { id, ...c };
      tied = false;
    } else if (order === 0) tied = true;
  }
  return best === null || tied ? null : { id: best.id, term: best.term };
}
