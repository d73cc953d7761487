// Finds processes whose command line mentions a path: a test uses it to prove nothing it started survives.
import { readdirSync, readFileSync } from 'node:fs';

export function processesMentioning(fragment: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(fragment) && Number(entry) !== process.pid) out.push({ pid: Number(entry), cmd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Waits (bounded) until no process mentions `fragment`; returns the survivors (empty when clean). */
export async function waitNoProcesses(fragment: string, timeoutMs = 10_000): Promise<{ pid: number; cmd: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMentioning(fragment);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kills every process mentioning `fragment` (test cleanup after a failure). */
export function killMentioning(fragment: string): void {
  for (const p of processesMentioning(fragment)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
