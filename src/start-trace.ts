// Where the time before the first member's spawn goes: with ETCD_LAB_START_TRACE=FILE set, each etcd-lab process on
// the start path (the command, the background supervisor) appends one JSON line per mark to FILE:
// {"pid":…,"mark":"…","at":<epoch ms>}. `npm run bench` (bench/start-trace.ts) reads them; unset, a mark costs one
// property read. The clock is performance.timeOrigin + now(), the one "cluster ready in" counts with.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const START_TRACE_ENV = 'ETCD_LAB_START_TRACE';

export interface StartMark {
  pid: number;
  mark: string;
  at: number;
}

/** Records `mark` now (or at `at`, epoch ms) when tracing is on. Never throws: a trace must not change a start. */
export function startMark(mark: string, at: number = performance.timeOrigin + performance.now()): void {
  const file = process.env[START_TRACE_ENV];
  if (!file) return;
  try {
    const line: StartMark = { pid: process.pid, mark, at };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    /* a trace that cannot be written is no trace */
  }
}
