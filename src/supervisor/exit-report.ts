// PURE. How a supervised process ended, in words, and which of its last lines are worth showing: one wording for
// every runner (`up`'s cluster, `start -f`'s Procfile runner, the gRPC proxy).

/** How a process ended: an exit code, or the signal that killed it (both null: it could not be started). */
export interface ExitLike {
  code: number | null;
  signal: string | null;
}

/** How many of its last lines a failed process shows by default. */
export const FAILURE_LINES = 20;

/** The lines worth showing for a failed process: its last lines, without etcd's usage text after a flag error. */
export function failureLines(lines: readonly string[], n = FAILURE_LINES): string[] {
  const usage = lines.findIndex((l) => l.trim() === 'Usage:');
  return (usage >= 0 ? lines.slice(0, usage) : lines).slice(-n);
}

/** `killed by SIGKILL`, `exit code 3`, `could not be started`; `unknown` when there is no exit to tell. */
export function describeExit(info: ExitLike | null): string {
  if (!info) return 'unknown';
  if (info.signal) return `killed by ${info.signal}`;
  if (info.code === null) return 'could not be started';
  return `exit code ${info.code}`;
}
