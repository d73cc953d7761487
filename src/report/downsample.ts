// PURE. Fewer marks than operations for big runs: marks that would land in the same small cell of the chart are
// drawn once. Counts are always taken from the operations themselves, never from what is drawn.

/** Keeps the first point of each `cell` x `cell` pixel square; returns the kept points. */
export function thinPoints(points: readonly { x: number; y: number }[], cell: number): { x: number; y: number }[] {
  const seen = new Set<number>();
  const out: { x: number; y: number }[] = [];
  for (const p of points) {
    const key = Math.floor(p.x / cell) * 100_003 + Math.floor(p.y / cell);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** One SVG path of dots (zero-length segments with round caps): ~12 bytes a point instead of ~40 for a circle. */
export function dotPath(points: readonly { x: number; y: number }[]): string {
  let d = '';
  for (const p of points) d += `M${Math.round(p.x * 10) / 10} ${Math.round(p.y * 10) / 10}h0`;
  return d;
}
