// Where the time before the first member's spawn goes: with ETCD_LAB_START_TRACE=FILE set, each etcd-lab process on
// the start path (the command, the background supervisor) appends one JSON line per mark to FILE:
// {"pid":…,"mark":"<role>: <step>","at":<epoch ms>}. `npm run bench` (bench/start-trace.ts) reads them. Unset, a mark
// returns after reading the variable. The clock is performance.timeOrigin + now(), the one "cluster ready in" counts
// with. The trace ends once the cluster is ready (endStartTrace): restarts later on are not part of the start.
// Node's global `performance`, not node:perf_hooks: the global loads it on first use (~1.2 ms), so a process that does
// not trace does not load it on the way to the first member's spawn.
import { appendFileSync } from 'node:fs';

export const START_TRACE_ENV = 'ETCD_LAB_START_TRACE';

export interface StartMark {
  pid: number;
  mark: string;
  at: number;
}

/** What this process is on the start path: the command the user ran, or the background supervisor of `up -d`. */
let role: 'command' | 'supervisor' = 'command';

export function setStartRole(r: 'command' | 'supervisor'): void {
  role = r;
}

/** Records `<role>: <step>` now (or at `at`, epoch ms) when tracing is on. Never throws. */
export function startMark(step: string, at?: number): void {
  const file = process.env[START_TRACE_ENV];
  if (!file) return;
  try {
    const line: StartMark = { pid: process.pid, mark: `${role}: ${step}`, at: at ?? performance.timeOrigin + performance.now() };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    /* a trace that cannot be written is no trace */
  }
}

/** Marks this process's own start (performance.timeOrigin), read only when tracing. */
export function markNodeStarted(): void {
  if (process.env[START_TRACE_ENV]) startMark('node started', performance.timeOrigin);
}

/** The start is over: no more marks from this process, nor from what it starts later. */
export function endStartTrace(): void {
  delete process.env[START_TRACE_ENV];
}
