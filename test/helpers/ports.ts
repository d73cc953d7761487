// Port blocks for tests. Test files run in parallel processes, so each one claims a block of ports by
// creating a directory (atomic) under the temp dir; a block whose owner pid is dead is reclaimed.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const ROOT = join(tmpdir(), 'etcd-lab-test-ports');
// Below Linux's ephemeral range (32768+), where outgoing connections would take our ports at random, and
// below etcd-lab's own `--ports auto` range (20000+).
const FIRST = 13000;
const BLOCK = 100;
const BLOCKS = 70; // 13000..19999

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

const claimed: string[] = [];
process.once('exit', () => {
  for (const d of claimed) rmSync(d, { recursive: true, force: true });
  try {
    rmdirSync(ROOT); // only when no other test process holds a block
  } catch {
    /* not empty, or gone */
  }
});

/** Claims a block of `BLOCK` consecutive ports no other test process holds; returns its first port. */
export async function claimPorts(): Promise<number> {
  mkdirSync(ROOT, { recursive: true });
  const start = Math.floor(Math.random() * BLOCKS);
  for (let i = 0; i < BLOCKS; i++) {
    const b = (start + i) % BLOCKS;
    const dir = join(ROOT, String(b));
    try {
      mkdirSync(dir);
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        /* being created right now, or broken */
      }
      if (Number.isNaN(owner) || alive(owner)) continue;
      rmSync(dir, { recursive: true, force: true });
      try {
        mkdirSync(dir);
      } catch {
        continue;
      }
    }
    writeFileSync(join(dir, 'pid'), String(process.pid));
    const base = FIRST + b * BLOCK;
    // A block used by something outside the tests is skipped.
    const probes = await Promise.all([0, 1, 2, 50, 99].map((o) => portFree(base + o)));
    if (probes.every(Boolean)) {
      claimed.push(dir);
      return base;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('no free port block for tests');
}
