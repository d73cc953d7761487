// (4) The supervisor itself: RSS and CPU of `up -d`'s background supervisor at idle with 5 members, and of a
// foreground `up` while members log at debug level under a write load, with every line it printed checked
// against the members' log files.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatMemberLine } from '../src/cli/log-format.js';
import { endpointsFrom, lab, show, spawnLab } from './cli.js';
import { atMost, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { writeLoad } from './load.js';
import { cpuPercent, sample, watchRss } from './proc-sample.js';
import { portBlock } from './ports.js';
import { waitReady } from './readiness.js';
import { sleep, within } from './stats.js';

export interface SupervisorCostOptions {
  idleMs: number;
  heavyMs: number;
  writers: number;
  log: (s: string) => void;
}

const NODES = 5;

/** A bare Node.js process doing nothing: the floor any Node supervisor starts from. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(1000);
    return sample(child.pid!).rssMB;
  } finally {
    child.kill('SIGKILL');
  }
}

async function idle(o: SupervisorCostOptions): Promise<{ rss: number; cpu: number }> {
  const cwd = join(ROOT, 'sup-idle');
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  try {
    const r = await lab(['up', '-d', '-n', String(NODES), '--dir', dir, '--ports', String(await portBlock())], { cwd, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`etcd-lab up -d failed: ${show(r)}`);
    const pid = (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { supervisorPid: number }).supervisorPid;
    await sleep(1000);
    const a = sample(pid);
    const w = watchRss(pid);
    await sleep(o.idleMs);
    const b = sample(pid);
    return { rss: w.stop(), cpu: cpuPercent(a, b) };
  } finally {
    await lab(['down', '--dir', dir], { cwd, timeoutMs: 30_000 });
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

interface Heavy {
  rss: number;
  cpu: number;
  linesPerS: number;
  producedPerS: number;
  carried: number;
  lost: number;
  puts: number;
}

function logLines(file: string): string[] {
  const t = readFileSync(file, 'utf8');
  const lines = t.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Lines of the log that should have been printed (from the first printed one on) but were not, and where the
 * first of them was (index in the expected lines, and how many expected lines there were).
 */
function lostLines(printed: string[], expected: string[]): { lost: number; firstAt: number; of: number } {
  if (printed.length === 0) return { lost: 0, firstAt: -1, of: 0 };
  // Printing began at the ready moment, at a line whose text may also occur earlier: the latest start from which
  // every printed line is found in order is taken as that moment.
  for (let j = expected.length - 1; j >= 0; j--) {
    if (expected[j] !== printed[0]) continue;
    let i = 0;
    let firstAt = -1;
    for (let k = j; k < expected.length; k++) {
      if (i < printed.length && expected[k] === printed[i]) i++;
      else if (firstAt < 0) firstAt = k - j;
    }
    if (i === printed.length) return { lost: expected.length - j - printed.length, firstAt, of: expected.length - j };
  }
  return { lost: Infinity, firstAt: 0, of: expected.length };
}

async function heavy(o: SupervisorCostOptions): Promise<Heavy> {
  const cwd = join(ROOT, 'sup-heavy');
  mkdirSync(cwd, { recursive: true });
  const dir = join(cwd, 'lab');
  const child = spawnLab(['up', '-n', String(NODES), '--dir', dir, '--ports', String(await portBlock()), '--extra-arg=--log-level=debug', '--extra-arg=--experimental-warning-apply-duration=1ns'], cwd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stdout = '';
  let stderr = '';
  let memberLines = 0;
  const printed = new Map<string, string[]>();
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += stdout.length < 20_000 ? d.toString() : '';
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      const m = /^(m\d+)\s*\| /.exec(l);
      if (!m) continue;
      memberLines++;
      let list = printed.get(m[1]!);
      if (!list) printed.set(m[1]!, (list = []));
      list.push(l);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const deadline = Date.now() + 60_000;
    while (!/ETCDCTL_ENDPOINTS=/.test(stdout)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`foreground up did not become ready:\n${stdout}${stderr}`);
      await sleep(10);
    }
    const endpoints = endpointsFrom(stdout);
    await waitReady(endpoints);
    const st = await lab(['status', '--json', '--dir', dir], { cwd });
    const report = JSON.parse(st.stdout) as { members: { name: string; id: string | null }[] };
    const ids = new Map(report.members.filter((m) => m.id).map((m) => [m.id!, m.name]));
    const names = report.members.map((m) => m.name);
    const countLogs = (): number => names.reduce((a, n) => a + logLines(join(dir, 'logs', `${n}.log`)).length, 0);
    const logsBefore = countLogs();
    const linesBefore = memberLines;
    const a = sample(child.pid!);
    const w = watchRss(child.pid!);
    const load = await writeLoad(endpoints, { writers: o.writers, durationMs: o.heavyMs });
    const b = sample(child.pid!);
    const rss = w.stop();
    const seconds = (b.at - a.at) / 1000;
    const linesPerS = (memberLines - linesBefore) / seconds;
    const producedPerS = (countLogs() - logsBefore) / seconds;
    const tStop = Date.now();
    child.kill('SIGINT');
    await within(exited, 20_000);
    o.log(`  (foreground up stopped ${Date.now() - tStop} ms after SIGINT)`);
    let lost = 0;
    const width = Math.max(...names.map((n) => n.length));
    names.forEach((n, index) => {
      const expected = logLines(join(dir, 'logs', `${n}.log`)).map((t) => formatMemberLine(n, t, { color: false, raw: false, index, nameWidth: width, ids }));
      const l = lostLines(printed.get(n) ?? [], expected);
      if (l.lost > 0) o.log(`  ${n}: ${l.lost} of ${l.of} lines not printed, the first at line ${l.firstAt} of them`);
      lost += l.lost;
    });
    return { rss, cpu: cpuPercent(a, b), linesPerS, producedPerS, carried: memberLines, lost, puts: load.puts };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await within(exited, 5000);
    }
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function benchSupervisor(o: SupervisorCostOptions): Promise<Figure[]> {
  const bare = await bareNodeRss();
  const i = await idle(o);
  const h = await heavy(o);
  o.log(
    `  supervisor: idle ${i.rss.toFixed(1)} MB ${i.cpu.toFixed(2)} % | heavy ${h.rss.toFixed(1)} MB ${h.cpu.toFixed(1)} %, ${Math.round(h.linesPerS)} lines/s printed of ${Math.round(h.producedPerS)} logged, ${h.carried} printed, ${h.lost} lost, ${h.puts} puts | bare node ${bare.toFixed(1)} MB`,
  );
  const bareBase = { label: 'a bare idle node process', value: bare, unit: 'MB' as const };
  return [
    {
      section: 'supervisor',
      name: 'supervisor.idle.rss',
      value: i.rss,
      unit: 'MB',
      baseline: bareBase,
      ratio: { value: i.rss / bare, text: `${(i.rss / bare).toFixed(2)}x` },
      target: atMost(i.rss, 80, '<= 80 MB'),
      note: `${NODES} members, largest RSS over ${o.idleMs / 1000} s`,
    },
    { section: 'supervisor', name: 'supervisor.idle.cpu', value: i.cpu, unit: '%', note: `% of one core over ${o.idleMs / 1000} s, ${NODES} fast-profile members` },
    {
      section: 'supervisor',
      name: 'supervisor.heavy-logging.rss',
      value: h.rss,
      unit: 'MB',
      baseline: bareBase,
      ratio: { value: h.rss / bare, text: `${(h.rss / bare).toFixed(2)}x` },
      target: atMost(h.rss, 80, '<= 80 MB'),
      note: `foreground up, ${NODES} members at --log-level=debug with a warning on every apply, ${o.writers} writers for ${o.heavyMs / 1000} s`,
    },
    { section: 'supervisor', name: 'supervisor.heavy-logging.cpu', value: h.cpu, unit: '%', note: '% of one core (parsing, formatting and printing every line)' },
    {
      section: 'supervisor',
      name: 'supervisor.heavy-logging.lines-per-s',
      value: h.linesPerS,
      unit: 'lines/s',
      baseline: { label: 'lines the members logged', value: h.producedPerS, unit: 'lines/s' },
      ratio: { value: h.linesPerS / h.producedPerS, text: `${((100 * h.linesPerS) / h.producedPerS).toFixed(1)} % carried` },
    },
    {
      section: 'supervisor',
      name: 'supervisor.heavy-logging.lines-lost',
      value: h.lost,
      unit: 'lines',
      note: `of ${h.carried} printed to the stdout pipe, checked line by line against the log files`,
      target: { text: '0', met: h.lost === 0, margin: h.lost === 0 ? 1 : 0 },
    },
  ];
}
