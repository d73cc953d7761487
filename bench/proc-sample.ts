// Resident memory and CPU time of one process, from /proc (Linux).
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

export interface ProcSample {
  at: number;
  rssMB: number;
  /** utime + stime, seconds. */
  cpuS: number;
}

export function sample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the state field: utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 here (0-based).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { at: performance.now(), rssMB: rssKB / 1024, cpuS: ticks / TICKS_PER_S };
}

/** CPU use between two samples, % of one core. */
export function cpuPercent(a: ProcSample, b: ProcSample): number {
  return (100 * (b.cpuS - a.cpuS)) / ((b.at - a.at) / 1000);
}

/** Samples every `everyMs` until stopped; keeps the largest RSS seen. */
export function watchRss(pid: number, everyMs = 100): { stop(): number } {
  let max = 0;
  const tick = (): void => {
    try {
      max = Math.max(max, sample(pid).rssMB);
    } catch {
      /* gone */
    }
  };
  tick();
  const t = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      tick();
      return max;
    },
  };
}
