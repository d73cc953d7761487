// Supervisor.start against a stop that comes while it is still setting up: nothing may start after the stop.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { buildPlan, defaultSpec } from '../../src/plan/plan.js';
import { statePaths } from '../../src/supervisor/state-dir.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-sup-start-'));
let base = 0;

before(async () => {
  base = await claimPorts();
});

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

test('a shutdown while start() opens its control socket: start is interrupted, no member starts, nothing is left', async () => {
  const dir = join(tmp, 'lab');
  const plan = buildPlan({ ...defaultSpec(), nodes: 3, dir, ports: { kind: 'base', base } }, ETCD_VERSION, 'sup-start');
  const sup = await Supervisor.open({ dir, plan, etcdPath: ETCD_PATH, etcdVersion: ETCD_VERSION.text, restart: 'never' });
  const starting = sup.start();
  // start() is awaiting its control socket now.
  await sup.shutdown(0);
  await assert.rejects(starting, (e: unknown) => e instanceof LabError && e.code === 'NOT_READY' && /interrupted/.test(e.message));
  assert.deepEqual(sup.cluster.members().map((m) => m.pid), [null, null, null], 'a member was started after the stop');
  assert.deepEqual(await waitNoProcesses(dir, 2000), []);
  assert.equal(existsSync(statePaths(dir).sock), false, 'the control socket outlived the stop');
  assert.equal(existsSync(statePaths(dir).lock), false);
});
