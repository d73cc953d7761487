// PURE. Jepsen's "majorities ring": every member still sees a majority of the cluster (itself included), but each
// sees a different one, so no two members agree on who is reachable. Links stay symmetric (a member sees another
// when both directions are open).
import { LabError } from '../errors.js';

/**
 * Who each member sees (itself left out), for members placed on a ring in `order`.
 *
 * A majority of n is floor(n/2)+1, so each member needs d = floor(n/2) others. Each member first sees its
 * floor(d/2) nearest neighbours on each side of the ring. When d is odd one more link is needed per member: a chord
 * to the member most nearly opposite on the ring that still lacks one. When n*d is odd (n = 3, 7, 11, ...) no set
 * of symmetric links gives every member exactly d (the degrees of a graph sum to an even number), so one member
 * gets one link more and sees a majority plus one.
 */
export function majoritiesRing(order: readonly string[]): Map<string, Set<string>> {
  const n = order.length;
  if (n < 3) {
    throw new LabError('BAD_PARTITION', `a majorities ring needs at least 3 members, got ${n}`, {
      hint: 'with 1 or 2 members every majority is the whole cluster',
    });
  }
  if (new Set(order).size !== n) throw new LabError('BAD_PARTITION', `the ring names a member twice: ${order.join(', ')}`);
  const need = Math.floor(n / 2);
  const sees = order.map(() => new Set<number>());
  const join = (i: number, j: number): void => {
    sees[i]!.add(j);
    sees[j]!.add(i);
  };
  for (let k = 1; k <= Math.floor(need / 2); k++) for (let i = 0; i < n; i++) join(i, (i + k) % n);
  if (need % 2 === 1) {
    // Offsets around the ring, the most nearly opposite first.
    const offsets = Array.from({ length: n - 1 }, (_, i) => i + 1).sort((a, b) => Math.abs(a - n / 2) - Math.abs(b - n / 2) || a - b);
    for (let i = 0; i < n; i++) {
      if (sees[i]!.size >= need) continue;
      const free = offsets.map((k) => (i + k) % n).filter((j) => !sees[i]!.has(j));
      join(i, free.find((j) => sees[j]!.size < need) ?? free[0]!);
    }
  }
  return new Map(order.map((m, i) => [m, new Set([...sees[i]!].sort((a, b) => a - b).map((j) => order[j]!))]));
}
