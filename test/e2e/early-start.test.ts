// The background supervisor's first stage (supervisor/early-start.ts) on real etcd: it spawns the anchor and then the
// others, the supervisor adopts them (same processes), and every way out before adoption leaves nothing running;
// and Supervisor.start against a stop that comes while it is still setting up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { buildPlan, defaultSpec } from '../../src/plan/plan.js';
import type { ClusterPlan, ClusterSpec } from '../../src/plan/types.js';
import type { StartProgress } from '../../src/supervisor/cluster.js';
import { startEarly } from '../../src/supervisor/early-start.js';
import { epochNow } from '../../src/supervisor/ready-figure.js';
import { acquireLock, statePaths } from '../../src/supervisor/state-dir.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, processesMentioning, waitNoProcesses } from '../helpers/procs.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-early-'));
let base = 0;
let nextOffset = 0;
let n = 0;
// How long the first stage waits for the anchor's bootstrap line before it leaves the others to the cluster: a wait no
// loaded machine reaches, so which members it spawns never depends on the machine's pace (the CLI's is 100 ms).
const REST_WAIT_MS = 20_000;

before(async () => {
  base = await claimPorts();
});

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

/** A plan for a fresh state dir, as `up` hands it to the supervisor (absolute paths inside the dir). */
function freshPlan(nodes: number, extra: Partial<ClusterSpec> = {}): { dir: string; plan: ClusterPlan } {
  const dir = join(tmp, `d${++n}`);
  const spec: ClusterSpec = { ...defaultSpec(), nodes, dir, ports: { kind: 'base', base: base + nextOffset }, ...extra };
  nextOffset += 2 * nodes;
  assert.ok(nextOffset <= 100, 'the test uses more ports than it claimed');
  return { dir, plan: buildPlan(spec, ETCD_VERSION, `early-${n}`) };
}

function options(dir: string, plan: ClusterPlan) {
  return { dir, plan, etcdPath: ETCD_PATH, etcdVersion: ETCD_VERSION.text, restart: 'never' as const, readyTimeoutMs: 20_000 };
}

describe('the supervisor first stage', () => {
  test('spawns the anchor, then the others once it is past its bootstrap check; the supervisor adopts the same processes', async () => {
    const { dir, plan } = freshPlan(3);
    const early = await startEarly({ dir, plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS);
    assert.ok(early, 'the first stage started nothing');
    // m1's peer URL sorts first: it is the anchor (start-order.ts).
    assert.deepEqual(early.members.map((m) => m.name), ['m1', 'm2', 'm3']);
    const pids = early.members.map((m) => m.held.child.pid);
    const opening = epochNow();
    const sup = await Supervisor.open(options(dir, plan), early);
    try {
      const spawned: StartProgress[] = [];
      const ready = await sup.start((e) => e.phase === 'spawned' && spawned.push(e));
      assert.ok(['m1', 'm2', 'm3'].includes(ready.leader));
      assert.deepEqual(sup.cluster.members().map((m) => m.pid), pids, 'the supervisor spawned members of its own');
      // Progress says when each was spawned, not when the supervisor took it over.
      assert.deepEqual(spawned.map((e) => e.member).sort(), ['m1', 'm2', 'm3']);
      for (const e of spawned) assert.ok(e.at < opening, `${e.member} "spawned" at ${e.at}, after the supervisor opened at ${opening}`);
      assert.equal(processesMentioning(join(dir, 'data')).length, 3);
    } finally {
      await sup.shutdown(3000);
    }
    assert.deepEqual(await waitNoProcesses(dir), []);
    assert.equal(existsSync(statePaths(dir).lock), false, 'the lock outlived the supervisor');
  });

  test('an anchor that does not log its start (--log-level warn) is spawned alone; the supervisor spawns the others', async () => {
    const { dir, plan } = freshPlan(3, { memberExtraArgs: { m1: ['--log-level', 'warn'] } });
    const early = await startEarly({ dir, plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS);
    assert.ok(early);
    assert.deepEqual(early.members.map((m) => m.name), ['m1']);
    const anchorPid = early.members[0]!.held.child.pid;
    const sup = await Supervisor.open(options(dir, plan), early);
    try {
      const ready = await sup.start();
      assert.ok(['m1', 'm2', 'm3'].includes(ready.leader));
      const pids = sup.cluster.members().map((m) => m.pid);
      assert.equal(pids[0], anchorPid, 'the anchor was not adopted');
      assert.ok(pids.every((p) => typeof p === 'number'), `members without a process: ${pids.join(', ')}`);
      assert.equal(processesMentioning(join(dir, 'data')).length, 3);
    } finally {
      await sup.shutdown(3000);
    }
    assert.deepEqual(await waitNoProcesses(dir), []);
  });

  test('an anchor that fails at once is reported by the start like any member (exit code and its lines), nothing left', async () => {
    const { dir, plan } = freshPlan(3, { memberExtraArgs: { m1: ['--no-such-flag'] } });
    const early = await startEarly({ dir, plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS);
    assert.ok(early);
    // It never passed its bootstrap check: the others are left to the cluster's own start.
    assert.deepEqual(early.members.map((m) => m.name), ['m1']);
    const sup = await Supervisor.open(options(dir, plan), early);
    await assert.rejects(sup.start(), (e: unknown) => {
      assert.ok(e instanceof LabError);
      assert.equal(e.code, 'NOT_READY');
      assert.match(e.message, /member m1 exited \(exit code 2\)/);
      assert.ok(e.details.some((l) => l.includes('flag provided but not defined: -no-such-flag')), e.details.join('\n'));
      return true;
    });
    assert.deepEqual(await waitNoProcesses(dir), []);
    assert.equal(existsSync(statePaths(dir).lock), false);
  });

  test('a supervisor that fails to open after the first stage kills what it spawned and frees the dir', async () => {
    const { dir, plan } = freshPlan(3);
    const early = await startEarly({ dir, plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS);
    assert.ok(early);
    assert.deepEqual(early.members.map((m) => m.name), ['m1', 'm2', 'm3']);
    // plan.json cannot be written where a folder stands.
    mkdirSync(statePaths(dir).plan, { recursive: true });
    await assert.rejects(Supervisor.open(options(dir, plan), early));
    // Killed and waited for before open() rejected: not "eventually".
    assert.deepEqual(processesMentioning(join(dir, 'data')), []);
    assert.equal(existsSync(statePaths(dir).lock), false);
  });

  test('a failure after the anchor was spawned kills it and frees the dir, and the supervisor reaps nothing of it', async () => {
    const { dir, plan } = freshPlan(3);
    // m2's log cannot be opened where a folder stands: its spawn fails after m1's.
    mkdirSync(join(dir, 'logs', 'm2.log'), { recursive: true });
    assert.equal(await startEarly({ dir, plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS), null);
    // Killed and waited for before startEarly returned.
    assert.deepEqual(processesMentioning(join(dir, 'data')), []);
    assert.equal(existsSync(statePaths(dir).lock), false);
    const sup = await Supervisor.open(options(dir, plan));
    try {
      assert.deepEqual(sup.reaped, [], 'the first stage left a member behind for the reaper');
    } finally {
      await sup.shutdown(0);
    }
  });

  test('starts nothing when the dir is held, in chaos mode, or with --parallel', async () => {
    const held = freshPlan(3);
    const lock = acquireLock(held.dir);
    try {
      assert.equal(await startEarly({ dir: held.dir, plan: held.plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS), null);
    } finally {
      lock.release();
    }
    const chaos = freshPlan(3, { chaos: true });
    assert.equal(await startEarly({ dir: chaos.dir, plan: chaos.plan, etcdPath: ETCD_PATH, parallel: false }, REST_WAIT_MS), null);
    const parallel = freshPlan(3);
    assert.equal(await startEarly({ dir: parallel.dir, plan: parallel.plan, etcdPath: ETCD_PATH, parallel: true }, REST_WAIT_MS), null);
    for (const d of [held.dir, chaos.dir, parallel.dir]) {
      assert.deepEqual(processesMentioning(d), []);
      assert.equal(existsSync(statePaths(d).lock), false);
    }
  });
});

test('a shutdown while start() opens its control socket: start is interrupted, no member starts, nothing is left', async () => {
  const { dir, plan } = freshPlan(3);
  const sup = await Supervisor.open(options(dir, plan));
  const starting = sup.start();
  // start() is awaiting its control socket now.
  await sup.shutdown(0);
  await assert.rejects(starting, (e: unknown) => e instanceof LabError && e.code === 'NOT_READY' && /interrupted/.test(e.message));
  assert.deepEqual(sup.cluster.members().map((m) => m.pid), [null, null, null], 'a member was started after the stop');
  assert.deepEqual(await waitNoProcesses(dir, 2000), []);
  assert.equal(existsSync(statePaths(dir).sock), false, 'the control socket outlived the stop');
  assert.equal(existsSync(statePaths(dir).lock), false);
});
