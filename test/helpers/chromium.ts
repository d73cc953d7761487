// Headless Chromium (Debian package `chromium`) for tests that open a page: one run per call, a fresh profile
// in a temp dir that is removed afterwards, the whole process group killed if it overruns.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killMentioning, waitNoProcesses } from './procs.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Processes in process group `pgid` (Linux /proc). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Runs chromium with `args` (e.g. --dump-dom URL); resolves with its stdout. Chromium runs in its own process group;
 * when it has exited, a process left in that group or mentioning the profile is killed and the call fails.
 */
export async function runChromium(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'etcd-lab-chromium-'));
  let pgid = 0;
  try {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      pgid = child.pid ?? 0;
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        reject(new Error(`chromium did not finish within ${timeoutMs} ms\n${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    const deadline = Date.now() + 5000;
    while (pgid && groupMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const left = [...(pgid ? groupMembers(pgid) : []), ...(await waitNoProcesses(profile, 1000)).map((p) => p.pid)];
    if (left.length) throw new Error(`chromium left ${left.length} process(es) running: ${left.join(', ')}`);
    return result;
  } finally {
    if (pgid) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* the group is empty: the normal case */
      }
    }
    killMentioning(profile);
    rmSync(profile, { recursive: true, force: true });
  }
}
