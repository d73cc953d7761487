// Running a short command with its output captured (bounded), and `etcd --version` started ahead of time: `up`
// starts it before loading the command tree, so the exec overlaps the loading instead of following it.
import { spawn } from 'node:child_process';

export const VERSION_TIMEOUT_MS = 5_000;

export interface Captured {
  output: string;
  code: number | null;
  timedOut: boolean;
  error: Error | null;
}

/** Runs `cmd` (SIGKILL to its group after `timeoutMs`). `hold(false)` lets the process exit without waiting for it. */
export function runCapture(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onStart?: (hold: (on: boolean) => void) => void,
): Promise<Captured> {
  return new Promise((done) => {
    const posix = process.platform !== 'win32';
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: posix });
    let output = '';
    let timedOut = false;
    const take = (d: Buffer) => {
      if (output.length < 64_000) output += d.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    // Kill the whole group: a wrapper script's children would otherwise keep the pipes open.
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (posix && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      done({ output, code: null, timedOut, error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ output, code, timedOut, error: null });
    });
    onStart?.((on) => {
      for (const h of [child, child.stdout, child.stderr, timer] as { ref(): void; unref(): void }[]) {
        if (on) h.ref();
        else h.unref();
      }
    });
  });
}

const prefetched = new Map<string, { run: Promise<Captured>; hold: (on: boolean) => void }>();

/**
 * Starts `path --version` now, in `env` (ETCD_* already scrubbed by the caller), for a later read of the same path.
 * Until that read takes it, it does not keep the process alive (the settings may name another binary).
 */
export function prefetchVersion(path: string, env: NodeJS.ProcessEnv, timeoutMs: number): void {
  if (prefetched.has(path)) return;
  let hold: (on: boolean) => void = () => undefined;
  const run = runCapture(path, ['--version'], env, timeoutMs, (h) => (hold = h));
  hold(false);
  prefetched.set(path, { run, hold });
}

/** The prefetched run for `path`, once, when it was started from this process's own environment. */
export function takePrefetchedVersion(path: string, env: NodeJS.ProcessEnv): Promise<Captured> | undefined {
  if (env !== process.env) return undefined;
  const p = prefetched.get(path);
  if (p === undefined) return undefined;
  prefetched.delete(path);
  p.hold(true);
  return p.run;
}
