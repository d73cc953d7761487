// Fault commands against a chaos-mode cluster, driven through the CLI as a user would, checked with a real client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { runCli } from '../helpers/cli.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { EtcdClient } from '../../src/etcd/client.js';
import type { StatusReport } from '../../src/supervisor/status.js';
import { putSucceeds } from '../helpers/etcd-put.js';
import { settled } from '../helpers/settled.js';
import { until } from '../helpers/until.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-lab-faults-'));
const dir = join(root, 'state');
let urls: Record<string, string> = {};

async function cli(...args: string[]) {
  const r = await runCli([...args, '--dir', dir], { cwd: root, timeoutMs: 60_000 });
  return r;
}

async function status(): Promise<StatusReport> {
  const r = await cli('status', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as StatusReport;
}

/** A fault aimed at "leader" needs one: wait for a settled cluster first. */
const settledNow = (): Promise<StatusReport> => settled(status);

/** Each member's own view: who it thinks leads (null when it has none or does not answer). */
async function views(): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      const c = new EtcdClient(url, { timeoutMs: 1000 });
      try {
        out[name] = (await c.status()).leader;
      } catch {
        out[name] = null;
      } finally {
        c.close();
      }
    }),
  );
  return out;
}

async function idOf(name: string): Promise<string> {
  const c = new EtcdClient(urls[name]!, { timeoutMs: 1000 });
  try {
    return (await c.status()).memberId;
  } finally {
    c.close();
  }
}

const put = (name: string, key: string, timeoutMs?: number): Promise<boolean> => putSucceeds(urls[name]!, key, timeoutMs);

before(async () => {
  const base = await claimPorts();
  const r = await cli('up', '-d', '--chaos', '-n', '3', '--ports', String(base));
  assert.equal(r.code, 0, r.stderr);
  const s = await status();
  urls = Object.fromEntries(s.members.map((m) => [m.name, m.clientURL]));
});

after(async () => {
  await runCli(['down', '--dir', dir], { timeoutMs: 30_000 }).catch(() => undefined);
  const left = await waitNoProcesses(root, 10_000);
  killMentioning(root);
  rmSync(root, { recursive: true, force: true });
  assert.deepEqual(left, [], 'no process may survive');
});

test('isolating the leader: the others elect a new one, the isolated member has none and cannot write; heal converges', async () => {
  await settledNow();
  const r = await cli('isolate', 'leader', '--json');
  assert.equal(r.code, 0, r.stderr);
  // The member the command took for the leader (leadership may move between a status and the command).
  const isolated = (JSON.parse(r.stdout) as { members: string[] }).members;
  assert.equal(isolated.length, 1);
  const old = isolated[0]!;
  const others = Object.keys(urls).filter((n) => n !== old);
  const newLeader = await until('a new leader among the others', async () => {
    const st = await status();
    return st.leader && st.leader !== old ? st.leader : undefined;
  });
  assert.ok(others.includes(newLeader));
  await until('the isolated member to lose its leader', async () => ((await views())[old] === null ? true : undefined));
  assert.equal(await put(old, 'iso/minority'), false, 'a write on the isolated member must fail');
  // The majority takes writes (a write that meets one more election fails; the next one commits).
  await until('a write on the majority to commit', async () => ((await put(newLeader, 'iso/majority', 2000)) ? true : undefined), 10_000);
  assert.equal((await cli('heal')).code, 0);
  await until('all members to agree again', async () => {
    const v = await views();
    const ids = Object.values(v);
    return ids.every((x) => x !== null && x === ids[0]) ? true : undefined;
  });
  const c = new EtcdClient(urls[old]!, { timeoutMs: 1000 });
  try {
    const got = await until('the write to reach the healed member', async () => {
      const g = await c.get('iso/majority', { serializable: true });
      return g.value === 'v' ? g : undefined;
    });
    assert.equal(got.value, 'v');
  } finally {
    c.close();
  }
});

test('a one-way cut leader->follower: that follower stops hearing the leader while the others carry on', async () => {
  const s = await settledNow();
  const leader = s.leader!;
  const follower = s.members.find((m) => m.name !== leader)!.name;
  const third = s.members.find((m) => m.name !== leader && m.name !== follower)!.name;
  const r = await cli('cut', `${leader}->${follower}`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${leader} -x-> ${follower}`));
  // 5 answers in a row that do not name the leader (a member that does not answer says nothing either way).
  const leaderId = await idOf(leader);
  let streak = 0;
  await until('the follower to stop naming the leader', async () => {
    const c = new EtcdClient(urls[follower]!, { timeoutMs: 500 });
    try {
      streak = (await c.status()).leader === leaderId ? 0 : streak + 1;
    } catch {
      /* no answer: not counted */
    } finally {
      c.close();
    }
    return streak >= 5 ? true : undefined;
  });
  // The third member hears everyone: writes through it commit, to the old leader or to one elected meanwhile (the cut
  // makes an election likelier: docs/etcd-facts.md#a-one-way-cut-leader--follower; a write during one may fail).
  await until('a write through the third member to commit', async () => ((await put(third, 'cut/ok', 2000)) ? true : undefined), 10_000);
  assert.equal((await cli('heal')).code, 0);
});

test('pause and resume: a paused member shows as paused with no answers, and comes back', async () => {
  const s = await status();
  const f = s.members.find((m) => !m.isLeader)!.name;
  assert.equal((await cli('pause', f)).code, 0);
  const p = await status();
  const pm = p.members.find((m) => m.name === f)!;
  assert.equal(pm.state, 'paused');
  assert.equal(pm.raftTerm, null);
  assert.equal((await cli('resume', f)).code, 0);
  await until('the member to answer again', async () => {
    const st = await status();
    return st.members.find((m) => m.name === f)?.raftTerm ? true : undefined;
  });
});

test('kill leader (SIGKILL) -> new leader; the killed member stays down until restarted', async () => {
  await settledNow();
  const r = await cli('kill', 'leader');
  assert.equal(r.code, 0, r.stderr);
  // The member the command took for the leader, as its note names it.
  const old = /SIGKILL on the leader \((m\d)\) is a crash/.exec(r.stdout)?.[1];
  assert.ok(old, r.stdout);
  const next = await until('a new leader', async () => {
    const st = await status();
    return st.leader && st.leader !== old ? st : undefined;
  });
  assert.notEqual(next.members.find((m) => m.name === old)!.state, 'running');
  await new Promise((r) => setTimeout(r, 1000));
  assert.notEqual((await status()).members.find((m) => m.name === old)!.state, 'running', 'no automatic restart after a chaos kill');
  assert.equal((await cli('restart', old)).code, 0);
  await until('the old leader back as running', async () => {
    const st = await status();
    return st.members.every((m) => m.state === 'running' && m.raftTerm) ? true : undefined;
  });
});

test('SIGTERM on the leader is reported as a graceful transfer', async () => {
  await settledNow();
  const r = await cli('kill', 'leader', '--signal', 'TERM');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /graceful leadership transfer/);
  assert.equal((await cli('restart', 'all')).code, 0);
});

test('kill all: the note says no majority is left (not that the followers elect a leader); restart all brings them back', async () => {
  const r = await cli('kill', 'all');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: 0 of 3 voting members left running, fewer than a majority \(2\): no leader can be elected until enough are back \(etcd-lab restart all\)/);
  assert.doesNotMatch(r.stdout, /followers elect/);
  assert.equal((await cli('restart', 'all')).code, 0);
  await until('every member back as running', async () => {
    const st = await status();
    return st.leader && st.members.every((m) => m.state === 'running' && m.raftTerm) ? true : undefined;
  });
});

test('a fault on a dir where nothing runs: exit 3, and the hint starts it without requiring --chaos', async () => {
  const r = await runCli(['kill', 'm1', '--dir', join(root, 'nothing-here')], { cwd: root });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /hint: start it with etcd-lab up -d --dir .*nothing-here \(process faults work on any cluster; network faults need one created with --chaos\)/);
});

test('bad input: unknown member, a->a, groups that overlap or leave members out, bad delay', async () => {
  const cases: [string[], RegExp][] = [
    [['kill', 'm9'], /no member "m9"/],
    [['cut', 'm1->m1'], /from a member to itself/],
    [['partition', 'm1,m2', 'm2,m3'], /"m2" is in groups 1 and 2/],
    [['partition', 'm1', 'm2'], /leaves out "m3"/],
    [['delay', 'm1', 'soon'], /not a duration/],
    [['kill', 'm1', '--signal', 'HUP'], /--signal must be KILL or TERM/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('network faults on a cluster started without --chaos say how to restart with it', async () => {
  const other = join(root, 'plain');
  const base = await claimPorts();
  const up = await runCli(['up', '-d', '--ports', String(base), '--dir', other], { cwd: root, timeoutMs: 60_000 });
  assert.equal(up.code, 0, up.stderr);
  try {
    const r = await runCli(['partition', 'm1', 'm2,m3', '--dir', other], { cwd: root });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /started without --chaos/);
    assert.match(r.stderr, /up --chaos/);
  } finally {
    await runCli(['down', '--dir', other], { timeoutMs: 30_000 });
  }
});
