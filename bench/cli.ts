// Runs the built CLI (`node dist/cli/launch.cjs`, the package's bin) as a user does, timing spawn -> exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../dist/cli/launch.cjs', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** spawn -> exit, ms. */
  wallMs: number;
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1' });

/** Runs a program to completion (bounded: SIGKILL after timeoutMs). */
export function runTimed(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let wallMs = 0;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('exit', () => (wallMs = performance.now() - t0));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallMs });
    });
  });
}

export function lab(args: string[], opts: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return runTimed(process.execPath, [BIN, ...args], { ...opts, env: { ...env(), ...opts.env } });
}

/** `etcd-lab <args>` left running (the foreground `up`); the caller stops it. */
export function spawnLab(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function show(r: Run): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n${r.stdout}${r.stderr}`.trim();
}

/** The client URLs `up` prints on its ETCDCTL_ENDPOINTS line. */
export function endpointsFrom(stdout: string): string[] {
  const m = /ETCDCTL_ENDPOINTS=(\S+)/.exec(stdout);
  if (!m) throw new Error(`no ETCDCTL_ENDPOINTS line in:\n${stdout}`);
  return m[1]!.split(',');
}
