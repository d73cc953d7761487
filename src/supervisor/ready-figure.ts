// "cluster ready in X ms": counted from the start of the command the user ran (or the library call), not from when the
// supervisor began; the supervisor's own share is kept beside it.
// Node's global `performance`, not an import of node:perf_hooks: the global loads it on first use, after the first
// member's spawn (spawn-process.ts asks the time once the process is spawned), not while the first stage loads.

/** How long a start took: what the user waited, and the supervisor's own share of it. */
export interface ReadyFigure {
  leader: string;
  /** From the command's start (SupervisorOptions.countFrom, else the supervisor's start) to ready. */
  elapsedMs: number;
  /** From the supervisor's start() call to ready: part of elapsedMs. */
  supervisorMs: number;
}

/** Now, in epoch ms on the clock of performance.timeOrigin (comparable across processes on one machine). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Whole milliseconds since `from` (epoch ms, see epochNow). */
export function msSince(from: number): number {
  return Math.round(epochNow() - from);
}
