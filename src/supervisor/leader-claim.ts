// PURE. Which leader the members' status answers point at.
import type { EtcdStatus } from '../etcd/client.js';

export interface LeaderClaim {
  /** Hex member ID of the leader. */
  id: string;
  /** The term in which it was claimed. */
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
 * The leader claimed in the highest term among the answers. A leader cut off from the others keeps claiming its old
 * term until it steps down, so the claim of the latest term wins; Raft allows one leader per term.
 */
export function pickLeader(answers: readonly (EtcdStatus | null)[]): LeaderClaim | null {
  let best: LeaderClaim | null = null;
  for (const s of answers) {
    if (!s?.leader) continue;
    const term = termOf(s);
    if (!best || term > best.term) best = { id: s.leader, term };
  }
  return best;
}
