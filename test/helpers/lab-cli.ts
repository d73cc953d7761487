// Drives `etcd-lab` the way a user does from separate shells, and proves afterwards that nothing it started survives.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MemberStatus, StatusReport } from '../../src/supervisor/status.js';
import { runCli, spawnCli, type CliResult } from './cli.js';
import { waitNoProcesses } from './procs.js';
import { settled } from './settled.js';

export { runCli, spawnCli, type CliResult };

/** A fresh temp dir for one test; the CLI runs with it as its working directory. */
export function tempDir(prefix: string, parent = tmpdir()): string {
  return mkdtempSync(join(parent, `${prefix}-`));
}

/** Runs `etcd-lab <args>` with `cwd` as working directory (so a background supervisor started there is found by cwd). */
export function lab(cwd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return runCli(args, { cwd, timeoutMs: 60_000, ...opts });
}

/** `up` flags every test uses: a port base from claimPorts() and the fast profile. */
export function upArgs(dir: string, port: number, extra: string[] = []): string[] {
  return ['up', '--dir', dir, '--ports', String(port), '--profile', 'fast', ...extra];
}

export function show(r: CliResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** `up -d`, asserted to succeed; returns the result and its wall time. */
export async function upDetached(cwd: string, dir: string, port: number, extra: string[] = []): Promise<CliResult & { wallMs: number }> {
  const t0 = performance.now();
  const r = await lab(cwd, upArgs(dir, port, ['-d', ...extra]));
  const wallMs = Math.round(performance.now() - t0);
  assert.equal(r.code, 0, show(r));
  return { ...r, wallMs };
}

/** What `status --json` prints. */
export type MemberJson = MemberStatus;
export type StatusJson = StatusReport;

export async function statusJson(cwd: string, dir: string): Promise<StatusJson> {
  const r = await lab(cwd, ['status', '--json', '--dir', dir]);
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout) as StatusJson;
}

/** `status --json` once the cluster has settled (helpers/settled.ts), and `ok` holds. */
export function settledStatus(cwd: string, dir: string, ok?: (s: StatusJson) => boolean): Promise<StatusJson> {
  return settled(() => statusJson(cwd, dir), ok);
}

/** The supervisor pid state.json names. */
export function supervisorPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { supervisorPid: number }).supervisorPid;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes that mention `dir` on their command line or run with a working directory inside it. */
export function processesIn(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${e}/cwd`).replace(/ \(deleted\)$/, '');
      } catch {
        /* not ours to read */
      }
      if (cmd.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) {
        if (alive(Number(e))) out.push({ pid: Number(e), cmd });
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export function killIn(dir: string): void {
  for (const p of processesIn(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * The end of every test: nothing mentions `dir` (etcd members, CLI runs) and nothing runs inside it (the
 * background supervisor, whose command line does not name the dir). Leftovers are killed, then reported.
 */
export async function assertNothingLeft(dir: string, timeoutMs = 10_000, context?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = await waitNoProcesses(dir, timeoutMs);
  let inside = processesIn(dir);
  while (inside.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    inside = processesIn(dir);
  }
  killIn(dir);
  const all = [...left, ...inside.filter((p) => !left.some((l) => l.pid === p.pid))];
  assert.deepEqual(all, [], `processes left running for ${dir}${all.length > 0 && context ? `\n${context()}` : ''}`);
}

/**
 * Runs a test body in `tmp`, then `cleanup` (best effort), then proves nothing is left running. A failure of the
 * body is reported as it is (with any leftovers named), not hidden behind the leftovers' assertion.
 */
export async function inTemp(tmp: string, body: () => Promise<void>, cleanup?: () => unknown): Promise<void> {
  let failure: unknown = null;
  try {
    await body();
  } catch (e) {
    failure = e;
  }
  try {
    await cleanup?.();
  } catch {
    /* best effort */
  }
  try {
    await assertNothingLeft(tmp);
  } catch (e) {
    if (failure === null) failure = e;
    else if (failure instanceof Error) failure.message += `\n(and after it: ${(e as Error).message.split('\n')[0]})`;
  }
  if (failure !== null) throw failure;
}

/** The endpoints of the `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=...` line `up` prints. */
export function exportedEndpoints(stdout: string): string {
  const m = /^export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=(\S+)$/m.exec(stdout);
  assert.ok(m, `no export line in:\n${stdout}`);
  return m[1]!;
}

/** Runs the real etcdctl with the environment the export line sets. */
export function etcdctl(endpoints: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.env.ETCDCTL_BIN ?? 'etcdctl',
      ['--dial-timeout=2s', '--command-timeout=3s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoints }, timeout: 10_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
