// Which member a staggered start begins with (docs/etcd-facts.md#bootstrap-stall). A member that starts without data asks its peers
// whether it was bootstrapped already: one peer at a time, in the byte order of their peer URLs, stopping at the
// first that answers (a peer that listens but does not serve yet holds the question up to etcd's 1 s bootstrap
// timeout). Once the member whose peer URL sorts first serves, every other member's question ends at it, so all
// the others can start together without waiting on each other.
import type { MemberPlan } from './types.js';

/** Index of the member the others' bootstrap checks ask first: the one whose advertised peer URL sorts first. */
export function bootstrapAnchor(members: readonly Pick<MemberPlan, 'peerURL'>[]): number {
  let best = -1;
  members.forEach((m, i) => {
    // Go's sort.Strings compares bytes; for the ASCII of a URL that is JavaScript's code-unit order.
    if (best < 0 || m.peerURL < members[best]!.peerURL) best = i;
  });
  return best;
}
