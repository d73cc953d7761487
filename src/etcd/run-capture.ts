// THE way etcd-lab runs a one-shot command (etcd --version, etcdctl/etcdutl, openssl, unzip/tar): output captured
// (bounded), a timeout that kills it; and `etcd --version` started ahead of time: `up` starts it before loading the
// command tree, so the exec overlaps the loading instead of following it.
import { spawn } from 'node:child_process';

export const VERSION_TIMEOUT_MS = 5_000;

export interface Captured {
  /** stdout and stderr as they came. */
  output: string;
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
  error: Error | null;
}

export interface CaptureOptions {
  /**
   * In its own process group, killed as a whole at the timeout (default): a wrapper script's children would otherwise
   * keep the pipes open. false: in the CLI's group, so that Ctrl-C on the CLI stops it too.
   */
  group?: boolean;
  /** How much of each stream is kept (default 64,000 characters). */
  maxChars?: number;
  /** Written to its stdin, which is then closed (default: no stdin). */
  input?: string;
}

/**
 * Runs `cmd` (SIGKILL after `timeoutMs`); never rejects: a failure to start is in `error` (its `code` is ENOENT when
 * there is no such program). `hold(false)` lets the process exit without waiting for it.
 */
export function runCapture(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onStart?: ((hold: (on: boolean) => void) => void) | null,
  opts: CaptureOptions = {},
): Promise<Captured> {
  return new Promise((done) => {
    const posix = process.platform !== 'win32' && opts.group !== false;
    const max = opts.maxChars ?? 64_000;
    const child = spawn(cmd, args, { env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: posix });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}); // a program that exits without reading: its exit code says what happened
      child.stdin!.end(opts.input);
    }
    let output = '';
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      if (stdout.length < max) stdout += text;
      if (output.length < max) output += text;
    });
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      if (stderr.length < max) stderr += text;
      if (output.length < max) output += text;
    });
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
      done({ output, stdout, stderr, code: null, timedOut, error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ output, stdout, stderr, code, timedOut, error: null });
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
