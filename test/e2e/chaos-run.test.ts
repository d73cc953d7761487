// `etcd-lab chaos` through the CLI: seeded faults, a writer on every member, and the check that nothing was lost.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedFault } from '../../src/chaos/schedule.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { toRunReport } from '../../src/report/validate.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-chaos-e2e-')));
const env = { TMPDIR: tmp };
const base = await claimPorts();

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

/** Temp dirs the CLI made for clusters (tsx keeps its cache in TMPDIR too). */
function clusterDirs(): string[] {
  return readdirSync(tmp).filter((n) => n.startsWith('etcd-lab-'));
}

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

test('chaos --duration 15s --seed 1: faults, elections, no acknowledged write lost', async () => {
  const r = await runCli(['chaos', '--duration', '15s', '--seed', '1', '--json', '--ports', String(base)], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 0, show(r));
  const rep = JSON.parse(r.stdout) as {
    passed: boolean;
    seed: number;
    members: string[];
    schedule: PlannedFault[];
    faults: { kind: string; members: string[]; error?: string }[];
    elections: number;
    longestWithoutLeaderMs: number;
    summary: { noLeaderAtEnd: boolean };
    timeline: { kind: string; withoutLeaderMs?: number }[];
    writes: { attempted: number; acknowledged: number; failed: number };
    lost: number;
    check: { passed: boolean; acknowledged: number; keysPerMember: Record<string, number>; converge: { ok: boolean; revision: string; leader: string } };
  };
  assert.equal(rep.passed, true);
  assert.equal(rep.lost, 0);
  assert.equal(rep.seed, 1);
  assert.deepEqual(rep.members, ['m1', 'm2', 'm3', 'm4', 'm5']);
  // Seed 1 over 15 s on 5 members gives this schedule, on every run and every machine (written down, not recomputed).
  assert.deepEqual(rep.schedule, [
    { n: 1, atMs: 739, holdMs: 1555, kind: 'kill', members: ['m5', 'm1'] },
    { n: 2, atMs: 3788, holdMs: 1182, kind: 'pause', members: ['leader'] },
    { n: 3, atMs: 5804, holdMs: 1072, kind: 'delay', members: ['leader'], delayMs: 117, jitterMs: 8 },
    { n: 4, atMs: 8000, holdMs: 2420, kind: 'partition', members: ['m2'] },
    { n: 5, atMs: 11653, holdMs: 1147, kind: 'kill', members: ['leader'] },
  ] satisfies PlannedFault[]);
  assert.equal(rep.faults.length, rep.schedule.length);
  assert.ok(rep.faults.length >= 3, `faults: ${rep.faults.length}`);
  assert.deepEqual(rep.faults.filter((f) => f.error), [], 'the lab carried out every fault');
  assert.ok(rep.elections >= 1, 'the faults cost the cluster its leader at least once');
  // How long the cluster is leaderless has no bound the plan can give: every fault hits a minority, one at a time,
  // so a quorum is up and connected throughout and no fault forces more than one election. What is beyond that is
  // etcd's elections failing under CPU load (docs/etcd-facts.md#elections-under-cpu-load-fast-profile): 10.5 s in
  // one CI run, up to 22 s with three runs at once on 2 cores. So the figure is checked for what it is: the
  // longest stretch the timeline shows between a leader lost and the next one found, every stretch closed.
  assert.ok(rep.longestWithoutLeaderMs > 0, String(rep.longestWithoutLeaderMs));
  assert.equal(rep.summary.noLeaderAtEnd, false, 'a leader at the end, as the check found');
  const stretches = rep.timeline.filter((e) => e.kind === 'leader-elected' && e.withoutLeaderMs !== undefined).map((e) => e.withoutLeaderMs!);
  assert.equal(rep.longestWithoutLeaderMs, Math.max(...stretches), `the longest of the timeline's stretches: ${stretches.join(', ')}`);
  // Writes went on through the faults. How many depends on the machine's load as much as on etcd (23 in 15 s on
  // 3.6.14 with two more chaos runs on the same 2 cores, hundreds alone), so the check is that some were.
  assert.ok(rep.writes.acknowledged > 0, `acknowledged: ${rep.writes.acknowledged}`);
  assert.equal(rep.writes.attempted, rep.writes.acknowledged + rep.writes.failed);
  assert.equal(rep.check.acknowledged, rep.writes.acknowledged);
  assert.ok(rep.check.converge.ok);
  for (const m of rep.members) assert.ok(rep.check.keysPerMember[m]! >= rep.writes.acknowledged, `${m} holds every acknowledged key`);
  assert.match(r.stderr, /fault: #1 /);
  assert.match(r.stderr, /PASS {2}every acknowledged write \(\d+\) is on all 5 members/);
  assert.deepEqual(await waitNoProcesses(tmp), [], 'no etcd left running');
  assert.deepEqual(clusterDirs(), [], 'the throw-away cluster dir is removed');
});

test('chaos --report DIR: every operation recorded from 8 clients over every member and "cluster"; linearizable, watch checks passed', async () => {
  const dir = join(tmp, 'report-1');
  const r = await runCli(['chaos', '--duration', '8s', '-n', '3', '--seed', '5', '--faults', 'kill,pause', '--report', dir, '--json', '--ports', String(base + 20)], { env, timeoutMs: 90_000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(readdirSync(dir).sort(), ['history.jsonl', 'report.html', 'run.json', 'watch.jsonl']);
  const ops = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { client: string; member: string; outcome: string; input: { f: string } });
  const registerClients = new Set(ops.filter((o) => /^c\d+$/.test(o.client)).map((o) => o.client));
  assert.ok(registerClients.size >= 8, `register clients: ${[...registerClients].join(', ')}`);
  assert.deepEqual([...new Set(ops.filter((o) => /^c\d+$/.test(o.client)).map((o) => o.member))].sort(), ['cluster', 'm1', 'm2', 'm3']);
  assert.deepEqual(new Set(ops.map((o) => o.input.f)), new Set(['get', 'put', 'cas']));
  assert.ok(ops.some((o) => o.client.startsWith('seq-')), "the writer's puts are in the history too");
  const watch = readFileSync(join(dir, 'watch.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { watcher: string; kind: string });
  assert.deepEqual([...new Set(watch.map((e) => e.watcher))].sort(), ['final', 'w-m1', 'w-m2', 'w-m3']);
  const run = toRunReport(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), 'run.json');
  assert.deepEqual(run.meta.members, ['m1', 'm2', 'm3']);
  assert.equal(run.operations.length, ops.length);
  assert.ok(run.leaders.length >= 1);
  assert.equal(run.meta.seed, 5);
  // Faults are played in order, each once the one before is repaired: a slow repair (a killed member's restart
  // under load) pushes the next one back, past --duration if need be, but never by more than that.
  assert.ok(run.faults.length >= 1, JSON.stringify(run.faults));
  run.faults.forEach((f, i) => {
    const prevEnd = i === 0 ? 0 : run.faults[i - 1]!.t + run.faults[i - 1]!.ms;
    assert.ok(f.t >= prevEnd - 1 && f.t <= Math.max(run.meta.durationMs, prevEnd) + 1000, `fault ${f.n}: ${JSON.stringify(run.faults)}`);
  });
  assert.deepEqual(
    Object.fromEntries(run.verdicts.map((v) => [v.name, v.verdict])),
    { 'writes: acknowledged present': 'passed', linearizability: 'linearizable', 'watch: ordered': 'passed', 'watch: unique': 'passed', 'watch: atomic': 'passed', 'watch: reliable': 'passed', 'watch: resumable': 'passed' },
  );
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /^<!doctype html>/i);
  const rep = JSON.parse(r.stdout) as { verdict: string; verdicts: unknown[]; violations: unknown[]; recorded?: unknown };
  assert.equal(rep.verdict, 'passed');
  assert.deepEqual(rep.violations, []);
  assert.equal(rep.verdicts.length, 7);
  assert.equal(rep.recorded, undefined, '--json leaves the history to --report');
  assert.deepEqual(await waitNoProcesses(tmp), [], 'no etcd left running');
  assert.deepEqual(clusterDirs(), [], 'the throw-away cluster dir is removed');
});

test('chaos --report refuses a folder that holds something else, before starting a cluster', async () => {
  const dir = join(tmp, 'not-a-report');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const r = await runCli(['chaos', '--report', dir], { env });
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /--report .*not-a-report is not empty and not an etcd-lab report folder \(it holds notes\.txt\)/);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
  assert.equal(existsSync(join(dir, 'run.json')), false);
  assert.deepEqual(clusterDirs(), []);
});

test('chaos refuses bad input before starting anything', async () => {
  let r = await runCli(['chaos', '--faults', 'kill,partiton'], { env });
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /unknown fault "partiton" \(did you mean "partition"\?\)/);
  r = await runCli(['chaos', '--dir', join(tmp, 'nothing-here')], { env });
  assert.equal(r.code, 3, show(r));
  assert.match(r.stderr, /no etcd-lab supervisor is running for/);
  r = await runCli(['chaos', '--duration', '10'], { env });
  assert.equal(r.code, 2, show(r));
  assert.deepEqual(clusterDirs(), []);
});
