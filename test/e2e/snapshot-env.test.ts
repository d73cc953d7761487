// `etcd-lab env` and `etcd-lab snapshot save/restore` on real etcd: a snapshot of cluster A restored into a new
// cluster B holds A's keys on every member of B; bad snapshot files leave B empty; env output works in sh.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdClient } from '../../src/etcd/client.js';
import { claimPorts } from '../helpers/ports.js';
import { cliArgs } from '../helpers/cli.js';
import { assertNothingLeft, exportedEndpoints, killIn, lab, settledStatus, show, tempDir, upDetached, type CliResult } from '../helpers/lab-cli.js';
import { OFFLINE_SNAPSHOT_TOOL } from '../helpers/etcd-under-test.js';

const tmp = tempDir('etcd-lab-snapshot-env');
const A = join(tmp, 'A');
const B = join(tmp, 'B');
const port = await claimPorts();
const portB = port + 50;
const KEYS = 20;
let endpointsA = '';

before(async () => {
  const r = await upDetached(tmp, A, port);
  endpointsA = exportedEndpoints(r.stdout);
  const c = new EtcdClient(endpointsA.split(',')[0]!, { timeoutMs: 3000 });
  try {
    for (let i = 0; i < KEYS; i++) await c.put(`/app/k${String(i).padStart(2, '0')}`, `v${i}`);
  } finally {
    c.close();
  }
});

after(async () => {
  try {
    for (const d of [A, B]) if (existsSync(join(d, 'supervisor.lock'))) await lab(tmp, ['down', '--dir', d]).catch(() => undefined);
    await assertNothingLeft(tmp);
  } finally {
    killIn(tmp);
    rmSync(tmp, { recursive: true, force: true });
  }
});

function sh(script: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { cwd: tmp, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, signal: null, stdout, stderr }),
    );
  });
}

/** The command line that runs this checkout's etcd-lab, for use inside sh -c. */
const LAB = [process.execPath, ...cliArgs([])].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');

describe('env and snapshots', { concurrency: false }, () => {
  test('env prints the export line, JSON and the etcd:// URL of the cluster', async () => {
    const shell = await lab(tmp, ['env', '--dir', A]);
    assert.equal(shell.code, 0, show(shell));
    assert.equal(shell.stdout, `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpointsA}\n`);
    assert.equal(shell.stderr, '', 'a running cluster gets no note');

    const json = await lab(tmp, ['env', '--dir', A, '--format', 'json']);
    assert.equal(json.code, 0, show(json));
    assert.deepEqual(JSON.parse(json.stdout), { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpointsA, endpoints: endpointsA.split(',') });

    const url = await lab(tmp, ['env', '--dir', A, '--format', 'etcd-url', '--keyspace', 'myapp']);
    assert.equal(url.code, 0, show(url));
    const hosts = [0, 2, 4].map((o) => `127.0.0.1:${port + o}`).join(',');
    assert.equal(url.stdout, `etcd://${hosts}/myapp\n`);
    const bare = await lab(tmp, ['env', '--dir', A, '--format', 'etcd-url']);
    assert.equal(bare.stdout, `etcd://${hosts}/\n`);

    const misuse = await lab(tmp, ['env', '--dir', A, '--keyspace', 'x']);
    assert.equal(misuse.code, 2, show(misuse));
    assert.match(misuse.stderr, /--keyspace only applies to --format etcd-url/);
    const none = await lab(tmp, ['env', '--dir', join(tmp, 'nothing')]);
    assert.equal(none.code, 3, show(none));
    assert.match(none.stderr, /no etcd-lab cluster in/);
  });

  test('eval "$(etcd-lab env)" in sh points plain etcdctl at the cluster', async () => {
    // A stale ETCDCTL_ENDPOINTS in the caller's environment is replaced.
    const r = await sh(`eval "$(${LAB} env --dir ${A})" && etcdctl --dial-timeout=2s put /from/sh yes && etcdctl get /from/sh --print-value-only`, {
      ETCDCTL_ENDPOINTS: 'http://127.0.0.1:1',
      ETCDCTL_API: '2',
    });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'OK\nyes\n');
    const c = new EtcdClient(endpointsA.split(',')[2]!, { timeoutMs: 3000 });
    try {
      assert.equal((await c.get('/from/sh')).value, 'yes');
    } finally {
      c.close();
    }
  });

  test('snapshot save writes the leader snapshot atomically and refuses to overwrite without --force', async () => {
    const file = join(tmp, 'backup.db');
    const status = await settledStatus(tmp, A);
    const r = await lab(tmp, ['snapshot', 'save', file, '--dir', A]);
    assert.equal(r.code, 0, show(r));
    // From the member that led when the save ran (leadership may move after the status above), by its client URL.
    const from = /^saved \S+ from (m\d) /.exec(r.stdout)?.[1];
    const leaderURL = status.members.find((m) => m.name === from)?.clientURL;
    assert.ok(leaderURL, r.stdout);
    assert.match(r.stdout, new RegExp(`^saved ${file} from ${from} \\(leader, ${leaderURL}\\) in \\d+ ms: revision \\d+, [\\d.]+ KiB\\n$`));
    assert.ok(statSync(file).size > 16_000);
    assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith('.tmp') || f.endsWith('.part')), [], 'no temp files left');

    const before = readFileSync(file);
    const again = await lab(tmp, ['snapshot', 'save', file, '--dir', A]);
    assert.equal(again.code, 2, show(again));
    assert.match(again.stderr, /error: .*backup\.db already exists\nhint: pass --force/);
    assert.ok(readFileSync(file).equals(before), 'the existing file is untouched');

    const forced = await lab(tmp, ['snapshot', 'save', file, '--dir', A, '--force']);
    assert.equal(forced.code, 0, show(forced));
    assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('backup.db') && f !== 'backup.db'), []);

    const nowhere = await lab(tmp, ['snapshot', 'save', join(tmp, 'x.db'), '--dir', join(tmp, 'nothing')]);
    assert.equal(nowhere.code, 3, show(nowhere));
    assert.equal(existsSync(join(tmp, 'x.db')), false);
  });

  test('restoring a file that is not a snapshot fails clearly and leaves the new dir empty', async () => {
    const junk = join(tmp, 'junk.db');
    writeFileSync(junk, 'this is not a bbolt database\n'.repeat(400));
    const r = await lab(tmp, ['snapshot', 'restore', junk, '--dir', B, '--ports', String(portB)]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, new RegExp(`^error: .*junk\\.db is not an etcd snapshot: ${OFFLINE_SNAPSHOT_TOOL} snapshot status says "`, 'm'));
    assert.equal(existsSync(B), false, 'B was not created');

    // A snapshot without its trailing hash passes `snapshot status` but fails in restore: the data dirs made go again.
    const cut = join(tmp, 'cut.db');
    const whole = readFileSync(join(tmp, 'backup.db'));
    writeFileSync(cut, whole.subarray(0, whole.length - 32));
    const r2 = await lab(tmp, ['snapshot', 'restore', cut, '--dir', B, '--ports', String(portB)]);
    assert.equal(r2.code, 1, show(r2));
    assert.match(r2.stderr, new RegExp(`error: ${OFFLINE_SNAPSHOT_TOOL} snapshot restore for m1 failed: .*hash`));
    assert.match(r2.stderr, /hint: .*--skip-hash-check/);
    assert.equal(existsSync(B), false, 'no half-restored cluster is left');

    const missing = await lab(tmp, ['snapshot', 'restore', join(tmp, 'nope.db'), '--dir', B]);
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /nope\.db: no such file/);

    const inUse = await lab(tmp, ['snapshot', 'restore', join(tmp, 'backup.db'), '--dir', A]);
    assert.equal(inUse.code, 1, show(inUse));
    assert.match(inUse.stderr, /a cluster is running in .*\/A \(supervisor pid \d+\); restore needs a new state dir/);
  });

  test('snapshot restore --up brings up a new cluster with the keys on every member', async () => {
    const r = await lab(tmp, ['snapshot', 'restore', join(tmp, 'backup.db'), '--dir', B, '--ports', String(portB), '--up']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^restored .*backup\\.db \\(revision \\d+, [\\d.]+ KiB\\) into a new 3-member cluster in ${B} in \\d+ ms`));
    assert.match(r.stdout, /cluster ready in \d+ ms: 3 members/);
    // "ready in" counts from the command the user typed, so it includes the restore before the up -d it ran.
    const restoredMs = Number(/ into a new 3-member cluster in .* in (\d+) ms/.exec(r.stdout)?.[1]);
    const readyMs = Number(/cluster ready in (\d+) ms/.exec(r.stdout)?.[1]);
    const share = Number(/this supervisor's share (\d+) ms/.exec(readFileSync(join(B, 'supervisor.log'), 'utf8'))?.[1]);
    assert.ok(readyMs > restoredMs + share, `ready in ${readyMs} ms, restore ${restoredMs} ms, supervisor ${share} ms`);
    const endpointsB = exportedEndpoints(r.stdout);
    assert.equal(endpointsB, [0, 2, 4].map((o) => `http://127.0.0.1:${portB + o}`).join(','));

    const planA = JSON.parse(readFileSync(join(A, 'plan.json'), 'utf8')) as { token: string };
    const planB = JSON.parse(readFileSync(join(B, 'plan.json'), 'utf8')) as { token: string; members: { name: string }[] };
    assert.notEqual(planB.token, planA.token);
    assert.deepEqual(planB.members.map((m) => m.name), ['m1', 'm2', 'm3']);

    const idsA = new Set((await settledStatus(tmp, A)).members.map((m) => m.id));
    const statusB = await settledStatus(tmp, B);
    assert.ok(statusB.leader !== null);
    for (const m of statusB.members) {
      assert.equal(m.state, 'running');
      assert.ok(m.id !== null && !idsA.has(m.id), `B's ${m.name} has a new member ID`);
      const c = new EtcdClient(m.clientURL, { timeoutMs: 3000 });
      try {
        const { kvs } = await c.range('/app/');
        assert.equal(kvs.length, KEYS, `${m.name} has every key`);
        assert.deepEqual(kvs[7], { key: '/app/k07', value: 'v7', modRevision: kvs[7]!.modRevision });
        assert.equal((await c.get('/app/k19', { serializable: true })).value, 'v19', `${m.name}'s local copy`);
        assert.equal((await c.get('/from/sh', { serializable: true })).value, 'yes');
      } finally {
        c.close();
      }
    }
    // B is a cluster of its own: a write there does not reach A.
    const cb = new EtcdClient(statusB.members[0]!.clientURL, { timeoutMs: 3000 });
    const ca = new EtcdClient(endpointsA.split(',')[0]!, { timeoutMs: 3000 });
    try {
      await cb.put('/only/b', '1');
      assert.equal((await ca.get('/only/b')).value, null);
    } finally {
      cb.close();
      ca.close();
    }

    const again = await lab(tmp, ['snapshot', 'restore', join(tmp, 'backup.db'), '--dir', B]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /a cluster is running in/);
  });

  test('env on a stopped cluster still prints its settings and says it is stopped', async () => {
    const down = await lab(tmp, ['down', '--dir', B]);
    assert.equal(down.code, 0, show(down));
    const r = await lab(tmp, ['env', '--dir', B]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${[0, 2, 4].map((o) => `http://127.0.0.1:${portB + o}`).join(',')}\n`);
    assert.match(r.stderr, /^note: the cluster in .*\/B is stopped; start it with: etcd-lab up -d --dir /);
    const restored = await lab(tmp, ['snapshot', 'restore', join(tmp, 'backup.db'), '--dir', B]);
    assert.equal(restored.code, 1, show(restored));
    assert.match(restored.stderr, /already holds a cluster \(plan\.json\)/);
  });
});
