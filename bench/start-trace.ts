// (1c) Where the time before the first member's spawn goes: `etcd-lab up -d` (3 members, fast) run with
// ETCD_LAB_START_TRACE, which makes the command and the background supervisor append a mark at each step of the
// start path (src/start-trace.ts). Each mark is taken as ms from the command's own process start (its Node start
// included); the figures are medians over the rounds, in the order the marks come. Each round also measures two bare
// Node starts in a row (node-floor.ts), the floor under the first spawn of any two-process start on this machine.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { START_TRACE_ENV, type StartMark } from '../src/start-trace.js';
import { lab, show } from './cli.js';
import { atMost, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { twoNodeStarts } from './node-floor.js';
import { waitQuiet } from './machine.js';
import { portBlock } from './ports.js';
import { percentile } from './stats.js';

export interface StartTraceOptions {
  nodes: number;
  rounds: number;
  log: (s: string) => void;
}

/** One traced `up -d`: each mark's ms from the command's process start (the first of a mark, if it repeats). */
async function tracedRun(n: number, tag: string): Promise<Map<string, number>> {
  const cwd = join(ROOT, 'start-trace', tag);
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  const file = join(cwd, 'trace.jsonl');
  try {
    const base = await portBlock();
    const r = await lab(['up', '-d', '-n', String(n), '--profile', 'fast', '--dir', dir, '--ports', String(base)], {
      cwd,
      timeoutMs: 90_000,
      env: { [START_TRACE_ENV]: file },
    });
    if (r.code !== 0) throw new Error(`etcd-lab up -d failed: ${show(r)}`);
    return offsets(readFileSync(file, 'utf8'));
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** PURE. The marks of one trace file as ms from the command's Node start. */
export function offsets(text: string): Map<string, number> {
  const marks = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StartMark);
  const origin = marks.find((m) => m.mark === 'command: node started');
  if (!origin) throw new Error('the trace has no "command: node started" mark');
  const out = new Map<string, number>();
  for (const m of marks) if (!out.has(m.mark)) out.set(m.mark, m.at - origin.at);
  return out;
}

export async function benchStartTrace(o: StartTraceOptions): Promise<Figure[]> {
  // One unmeasured start first: the page cache and the compile caches, as a user's second `up -d` finds them.
  await tracedRun(o.nodes, 'warm-up');
  const runs: Map<string, number>[] = [];
  const floors: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    await waitQuiet();
    runs.push(await tracedRun(o.nodes, `round-${i}`));
    await waitQuiet();
    floors.push(await twoNodeStarts());
  }
  const floor = percentile(floors, 50);
  o.log(`  two bare Node starts in a row (node-floor.ts): p50 ${floor.toFixed(1)} ms   [${floors.map((x) => Math.round(x)).join(' ')}]`);
  const names = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  const median = (mark: string): number => percentile(runs.flatMap((r) => (r.has(mark) ? [r.get(mark)!] : [])), 50);
  names.sort((a, b) => median(a) - median(b));
  const figures: Figure[] = [];
  let previous = 0;
  for (const mark of names) {
    const at = median(mark);
    o.log(`  ${at.toFixed(1).padStart(6)} ms  (+${(at - previous).toFixed(1).padStart(5)})  ${mark}   [${runs.map((r) => (r.has(mark) ? Math.round(r.get(mark)!) : '-')).join(' ')}]`);
    previous = at;
    const f: Figure = { section: 'start-trace', name: `start.n${o.nodes}.${mark.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '')}.p50`, value: at, unit: 'ms' };
    if (mark === 'supervisor: spawned m1') {
      f.target = atMost(at, 60, '<= 60 ms from the command\'s start');
      f.baseline = { label: 'two bare Node starts in a row', value: floor, unit: 'ms' };
      f.ratio = { value: at / floor, text: `${at - floor >= 0 ? '+' : ''}${(at - floor).toFixed(1)} ms over it` };
    }
    figures.push(f);
  }
  figures.push({
    section: 'start-trace',
    name: `start.two-node-starts.p50`,
    value: floor,
    unit: 'ms',
    note: 'a Node process loads child_process and spawns a second, detached with an IPC channel, until that one runs its first line with child_process loaded (bench/node-floor.ts)',
  });
  return figures;
}
