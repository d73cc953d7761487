// The demos through the CLI, as a user runs them: each starts its own cluster in a temp dir and must leave nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';

// TMPDIR points the demos' own temp dirs into this one, so every process they start mentions it.
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-demos-')));
const env = { TMPDIR: tmp };
const base = await claimPorts();
// A measured time as the demo prints it (formatDuration): "850 ms", or "1.14 s" from a second on, which a busy
// machine reaches.
const DURATION = String.raw`(?:\d+ ms|\d+\.\d\d s)`;

after(async () => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function assertClean(): Promise<void> {
  assert.deepEqual(await waitNoProcesses(tmp), [], 'no etcd (or anything else) left running');
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('etcd-lab-demo-')), [], 'the temp cluster dir is removed');
}

interface Claim {
  claim: string;
  ok: boolean;
  detail: string;
  kind: string;
}

/** Writes a 3-member scenario named `name` (its lines after `members:`) and runs it with --json on `ports`. */
async function runScenario(name: string, lines: string[], ports: number): Promise<{ file: string; r: CliResult; rep: { passed: boolean; claims: Claim[] } }> {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, [`name: ${name}`, 'members: 3', ...lines].join('\n'));
  const r = await runCli(['demo', '--file', file, '--json', '--ports', String(ports)], { env, timeoutMs: 40_000 });
  return { file, r, rep: r.stdout.trim() === '' ? { passed: false, claims: [] } : (JSON.parse(r.stdout) as { passed: boolean; claims: Claim[] }) };
}

test('demo failover passes, with a JSON report', async () => {
  const r = await runCli(['demo', 'failover', '--json', '--ports', String(base)], { env, timeoutMs: 40_000 });
  assert.equal(r.code, 0, show(r));
  const rep = JSON.parse(r.stdout) as {
    passed: boolean;
    demo: string;
    members: string[];
    claims: Claim[];
    vars: Record<string, string[]>;
    timeline: { kind: string; member?: string; withoutLeaderMs?: number; action?: string; text?: string; same?: boolean }[];
    summary: { elections: number; longestWithoutLeaderMs: number; faults: number; writes: { ok: number; failed: number } };
    history: { client: string; member: string; input: { f: string; key: string }; outcome: string; output?: unknown }[];
  };
  assert.equal(rep.passed, true);
  assert.equal(rep.demo, 'failover');
  // The two puts and the linearizable get are recorded (the serializable get is not a register operation). A get that
  // an election cuts short is asked again, and each attempt is recorded: failed ones as failed, then the answer.
  const ops = rep.history.map((o) => [o.client, o.input.f, o.input.key, o.outcome]);
  assert.deepEqual(ops.slice(0, 2), [['scenario', 'put', '/demo/before', 'ok'], ['scenario', 'put', '/demo/after', 'ok']]);
  assert.deepEqual(ops.at(-1), ['scenario', 'get', '/demo/after', 'ok']);
  for (const o of ops.slice(2, -1)) assert.deepEqual(o, ['scenario', 'get', '/demo/after', 'fail'], JSON.stringify(ops));
  assert.deepEqual(rep.history.at(-1)!.output, { f: 'get', value: '2' });
  assert.deepEqual(rep.members, ['m1', 'm2', 'm3']);
  assert.equal(rep.claims.length, 8);
  assert.ok(rep.claims.every((c) => c.ok), JSON.stringify(rep.claims, null, 1));
  const oldLeader = rep.vars.old_leader![0]!;
  const newLeader = rep.vars.new_leader![0]!;
  assert.notEqual(oldLeader, newLeader);
  // The timeline: the kill, the loss of that leader, a new one with the time without a leader, the rejoin.
  const kinds = rep.timeline.map((e) => e.kind);
  const kill = kinds.indexOf('fault');
  assert.equal(rep.timeline[kill]!.action, 'kill');
  const lost = rep.timeline.findIndex((e) => e.kind === 'leader-lost' && e.member === oldLeader);
  const elected = rep.timeline.find((e) => e.kind === 'leader-elected' && e.member === newLeader);
  assert.ok(lost >= 0, 'the leader loss is on the timeline');
  assert.ok(elected && typeof elected.withoutLeaderMs === 'number' && elected.withoutLeaderMs > 0 && elected.withoutLeaderMs < 5000, JSON.stringify(elected));
  assert.equal(rep.summary.faults, 1, 'the restart is a repair');
  // One election for the kill; a loaded machine can add one (a leader that missed its quorum steps down).
  assert.ok(rep.summary.elections >= 1, JSON.stringify(rep.summary));
  assert.ok(rep.summary.longestWithoutLeaderMs >= elected.withoutLeaderMs!);
  assert.deepEqual(rep.summary.writes, { ok: 2, failed: 0 });
  // It follows the leader of the moment: the new one, or a later one if a second election came (see above).
  assert.match(rep.claims.find((c) => c.kind === 'expect-follower')!.detail, new RegExp(`^${oldLeader} follows m\\d at revision 3 \\(term \\d+\\), like the others$`));
  // The live timeline went to stderr.
  assert.match(r.stderr, new RegExp(`fault: kill ${oldLeader} \\(the leader\\) with SIGKILL`));
  assert.match(r.stderr, new RegExp(`new leader ${newLeader} \\(term \\d+\\) after ${DURATION} without a leader`));
  await assertClean();
});

test('demo partition passes: the majority serves, the minority cannot, all converge after the heal', async () => {
  const r = await runCli(['demo', 'partition', '--ports', String(base + 20)], { env, timeoutMs: 40_000 });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^partition: PASS \(9 claims held\)/);
  assert.doesNotMatch(r.stdout, /FAIL/);
  assert.match(r.stdout, /PASS {2}put \/demo\/majority via m\d \(majority\) succeeds: ok in/);
  assert.match(r.stdout, /PASS {2}a linearizable get of \/demo\/majority via m\d \(majority\) returns "2"/);
  // The minority cannot commit: the client gives up at the scenario's 1.5 s request timeout, or etcd says why sooner.
  assert.match(
    r.stdout,
    new RegExp(`PASS {2}put /demo/minority via m\\d \\(minority\\) fails or times out: (timed out|no leader|leader changed|request timed out) after ${DURATION}$`, 'm'),
  );
  assert.match(r.stdout, /PASS {2}a linearizable get of \/demo\/before via m\d \(minority\) fails or times out/);
  assert.match(r.stdout, /PASS {2}every member converges .*: 5 members at revision 3, hash \d+, leader m\d/);
  assert.match(r.stderr, /leader m\d \(term \d+\) lost: partitioned into a minority/);
  await assertClean();
});

test('a scenario whose claim is false fails with exit 1; a broken one is refused with its position', async () => {
  const { file, r, rep } = await runScenario(
    'wrong',
    [
      'request-timeout: 500ms',
      'steps:',
      '  - wait-leader: { within: 5s }',
      '  - partition: [[leader], [rest]]',
      '  - put: { key: /x, value: "1", via: minority, expect: ok }   # false: a minority cannot commit',
      '  - heal',
      '  - converge: { within: 10s }',
    ],
    base + 40,
  );
  assert.equal(r.code, 1, show(r));
  assert.equal(rep.passed, false);
  assert.deepEqual(rep.claims.map((c) => [c.kind, c.ok]), [['wait-leader', true], ['put', false], ['converge', true]]);
  assert.match(rep.claims[1]!.detail, /after/);
  assert.match(r.stderr, /FAIL {2}put \/x via m\d \(minority\) succeeds: /);
  await assertClean();

  writeFileSync(file, 'steps:\n  - kill: leader\n  - wait-leader: { not: $old }\n');
  const bad = await runCli(['demo', '--file', file], { env });
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.stderr, /wrong\.yaml:3:25: wait-leader\.not uses \$old, which no earlier step remembered/);
  const unknown = await runCli(['demo', 'failovr'], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no demo "failovr" \(did you mean "failover"\?\)/);
});

test('a linearizable get that an election cuts short ("leader changed") is asked again within its timeout', async () => {
  const { r, rep } = await runScenario(
    'read-across-election',
    [
      'steps:',
      '  - wait-leader: { within: 5s }',
      '  - put: { key: /x, value: "1", via: leader, expect: ok }',
      // The follower forwards its read index request to the dead leader; the new leader's election ends it.
      '  - kill: leader',
      '  - get: { key: /x, via: follower, linearizable: true, expect: "1", timeout: 4s }',
    ],
    base + 60,
  );
  assert.equal(r.code, 0, show(r));
  const get = rep.claims.find((c) => c.kind === 'get')!;
  assert.ok(get.ok, JSON.stringify(get));
  assert.match(get.detail, new RegExp(`^"1" in ${DURATION} \\(revision 2, asked again after: leader changed( \\(\\d+ times\\))?\\)$`));
  assert.match(r.stderr, new RegExp(`get /x via m\\d: failed in ${DURATION} \\(leader changed\\)`));
  await assertClean();
});
