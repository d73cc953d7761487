// The restart rule is one rule: `up`'s cluster and `start -f`'s Procfile runner, both under `--restart on-failure`,
// decide the same for each way a process ends (README: "Restart policy"). Each case runs on both runners.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan, defaultSpec } from '../../src/plan/plan.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { Cluster, type MemberRestartEvent } from '../../src/supervisor/cluster.js';
import { ProcfileRunner, type EntryRestartEvent } from '../../src/supervisor/procfile-runner.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { untilTrue } from '../helpers/until.js';

/** How the process ends on its own, and whether on-failure must restart it. */
const CASES = [
  { code: 0, restarted: false },
  { code: 3, restarted: true },
] as const;
/** Longer than the first backoff (250 ms): a restart that is due has been scheduled and run by then. */
const SETTLE_MS = 800;

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-restart-rule-'));
let base = 0;
/** A stand-in for etcd that runs the real one, then exits with $WRAP_EXIT once etcd is gone. */
const wrapper = join(tmp, 'etcd-wrapper');

before(async () => {
  base = await claimPorts();
  writeFileSync(wrapper, `#!/bin/sh\n'${ETCD_PATH}' "$@"\nexit "$WRAP_EXIT"\n`);
  chmodSync(wrapper, 0o755);
});

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

/** The pids of a process's children (Linux). */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

describe('on-failure: one rule for both runners', () => {
  CASES.forEach(({ code, restarted }, i) => {
    test(`cluster (up): a member that exits ${code} on its own is ${restarted ? '' : 'not '}restarted`, { timeout: 30_000 }, async () => {
      const dir = join(tmp, `cluster-${code}`);
      const plan: ClusterPlan = buildPlan({ ...defaultSpec(), nodes: 1, dir: 'lab', ports: { kind: 'base', base: base + 10 * i } }, ETCD_VERSION, `tok-${i}`);
      plan.members[0] = { ...plan.members[0]!, env: { ...plan.members[0]!.env, WRAP_EXIT: String(code) } };
      const c = new Cluster({ plan, etcdPath: wrapper, baseDir: dir, restart: 'on-failure' });
      try {
        await c.start();
        const restarts: MemberRestartEvent[] = [];
        c.on('member-restart', (e: MemberRestartEvent) => restarts.push(e));
        const exited = new Promise<{ code: number | null }>((r) => c.once('member-exit', r));
        const sh = c.members()[0]!.pid!;
        for (const etcd of childrenOf(sh)) process.kill(etcd, 'SIGKILL');
        assert.equal((await exited).code, code);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        assert.equal(restarts.length, restarted ? 1 : 0, `restarts scheduled: ${JSON.stringify(restarts)}`);
        if (restarted) await untilTrue(() => c.members()[0]!.state === 'running' && c.members()[0]!.pid !== sh, 'the member back up');
        else assert.equal(c.members()[0]!.state, 'exited');
      } finally {
        await c.stop(0);
      }
      assert.deepEqual(await waitNoProcesses(dir), []);
    });

    test(`Procfile runner (start -f): an entry that exits ${code} on its own is ${restarted ? '' : 'not '}restarted`, { timeout: 30_000 }, async () => {
      const dir = join(tmp, `procfile-${code}`);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      const runner = ProcfileRunner.open({
        dir,
        cwd: tmp,
        restart: 'on-failure',
        jobs: [
          { name: 'ends', command: `sleep 0.2; exit ${code}`, line: 1, index: 0, port: 0, env },
          { name: 'stays', command: 'sleep 30', line: 2, index: 1, port: 0, env },
        ],
      });
      try {
        const restarts: EntryRestartEvent[] = [];
        runner.on('restart', (e: EntryRestartEvent) => restarts.push(e));
        const exited = new Promise<{ name: string; code: number | null }>((r) => runner.once('exit', r));
        await runner.start();
        assert.deepEqual(await exited, { ...(await exited), name: 'ends', code });
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        assert.equal(restarts.length > 0, restarted, `restarts scheduled: ${JSON.stringify(restarts)}`);
        const ends = runner.entries().find((e) => e.name === 'ends')!;
        if (!restarted) assert.equal(ends.state, 'exited');
      } finally {
        await runner.shutdown(0);
      }
    });
  });
});
