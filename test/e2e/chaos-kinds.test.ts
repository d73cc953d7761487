// `etcd-lab chaos --faults <kind>` for the kinds drop, ring, term-leader and replace: each run passes (no acknowledged
// write lost) and its JSON report shows every fault applied and its end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedFault } from '../../src/chaos/schedule.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-chaos-kinds-')));
const env = { TMPDIR: tmp };
const base = await claimPorts();

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

interface Report {
  passed: boolean;
  lost: number;
  members: string[];
  schedule: PlannedFault[];
  faults: { n: number; kind: string; members: string[]; error?: string; ms: number }[];
  writes: { acknowledged: number };
  timeline: { kind: string; text?: string; action?: string; member?: string }[];
}

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 3000)}\n--- stderr\n${r.stderr}`;
}

async function chaos(kind: string, nodes: number): Promise<Report> {
  const r = await runCli(['chaos', '--faults', kind, '--duration', '6s', '--seed', '3', '-n', String(nodes), '--json', '--ports', String(base)], {
    env,
    timeoutMs: 240_000,
  });
  assert.equal(r.code, 0, show(r));
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.passed, true);
  assert.equal(rep.lost, 0);
  assert.ok(rep.faults.length >= 1, 'a fault was planned and applied');
  assert.deepEqual(rep.faults.filter((f) => f.error), [], 'the lab carried out every fault');
  assert.ok(rep.faults.every((f) => f.kind === kind && f.ms > 0), JSON.stringify(rep.faults));
  assert.ok(rep.writes.acknowledged > 0, `no write was acknowledged: ${JSON.stringify(rep.writes)}`);
  assert.deepEqual(await waitNoProcesses(tmp), [], 'no etcd left running');
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('etcd-lab-')), [], 'the throw-away cluster dir is removed');
  return rep;
}

const texts = (rep: Report): string[] => rep.timeline.map((e) => e.text ?? '');

test('chaos --faults drop: one member loses a share of its messages, then every link heals', async () => {
  const rep = await chaos('drop', 3);
  for (const f of rep.faults) {
    const planned = rep.schedule[f.n - 1]!;
    assert.ok(texts(rep).some((t) => t.startsWith(`#${f.n} drop ${planned.dropPct}% of the messages to and from ${f.members[0]}`)), texts(rep).join('\n'));
    assert.ok(rep.timeline.some((e) => e.kind === 'fault' && e.action === 'heal' && e.text === `#${f.n} heal every link`));
  }
});

test('chaos --faults ring on 5 members: a majorities ring over every member, then every link heals', async () => {
  const rep = await chaos('ring', 5);
  for (const f of rep.faults) {
    assert.deepEqual([...f.members].sort(), [...rep.members].sort());
    assert.ok(texts(rep).some((t) => t.startsWith(`#${f.n} majorities ring ${f.members.join(' - ')} - ${f.members[0]}`)), texts(rep).join('\n'));
    assert.ok(rep.timeline.some((e) => e.kind === 'fault' && e.action === 'heal' && e.text === `#${f.n} heal every link`));
  }
});

test('chaos --faults term-leader: SIGTERM hands leadership over, the old leader is restarted', async () => {
  const rep = await chaos('term-leader', 3);
  for (const f of rep.faults) {
    assert.ok(texts(rep).some((t) => t.startsWith(`#${f.n} SIGTERM ${f.members[0]}`)));
    assert.ok(rep.timeline.some((e) => e.kind === 'fault' && e.action === 'restart' && e.text === `#${f.n} restart ${f.members[0]}`));
  }
  // The first fault hits the leader of a settled cluster: a new leader shows up, and the run says whether it came
  // before the old one had exited.
  const note = texts(rep).find((t) => t.startsWith('#1 leadership passed from '));
  assert.ok(note, texts(rep).join('\n'));
  assert.match(note, new RegExp(`^#1 leadership passed from ${rep.faults[0]!.members[0]} to m\\d \\(term \\d+\\) \\d+ ms after SIGTERM`));
});

test('chaos --faults replace: a member is replaced by a new one (new ID, empty data dir) and no write is lost', async () => {
  const rep = await chaos('replace', 3);
  const f = rep.faults[0]!;
  const note = texts(rep).find((t) => t.startsWith(`#1 ${f.members[0]} replaced: `));
  assert.ok(note, texts(rep).join('\n'));
  const ids = /new member ID ([0-9a-f]+) \(was ([0-9a-f]+)\)/.exec(note);
  assert.ok(ids, note);
  assert.notEqual(ids[1], ids[2], 'the new member has a new ID');
  assert.match(note, /caught up with the leader at revision \d+/);
  assert.ok(texts(rep).includes(`#1 replace of ${f.members[0]} done: nothing to undo`));
});
