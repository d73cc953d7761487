// Runs the etcd-lab CLI as a user would, in a child process. `npm test` runs the package's bin as built
// (dist/cli/launch.cjs: the bundle, with its compile cache; ETCD_LAB_TEST_CLI=dist); a test file run by itself
// runs src/ through tsx, so that it needs no build and never tests a stale one.
import { existsSync } from 'node:fs';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LAUNCH = fileURLToPath(new URL('../../dist/cli/launch.cjs', import.meta.url));
export const BUILT = process.env.ETCD_LAB_TEST_CLI === 'dist';
if (BUILT && !existsSync(LAUNCH)) throw new Error(`ETCD_LAB_TEST_CLI=dist, but there is no ${LAUNCH}: run npm run build`);
export const BIN = BUILT ? LAUNCH : fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export function cliArgs(args: string[]): string[] {
  return BUILT ? [BIN, ...args] : ['--import', TSX, BIN, ...args];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `etcd-lab <args>` to completion (bounded). */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcd-lab ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runCliSync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, cliArgs(args), { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `etcd-lab <args>` in the background; the caller stops it. */
export function spawnCli(args: string[], opts: SpawnOptions = {}) {
  return spawn(process.execPath, cliArgs(args), { stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
}
