import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcfile } from '../../../src/plan/procfile.js';
import { etcdEntryInfo, planProcfileRun } from '../../../src/supervisor/procfile-runner.js';
import { LabError } from '../../../src/errors.js';

const entries = parseProcfile('web: a\n# x\nworker: b\nclock: c\n');

test('PORT is base + 100 per Procfile entry, also when only some entries run', () => {
  const all = planProcfileRun({ entries, basePort: 5000, parentEnv: {} });
  assert.deepEqual(all.map((j) => [j.name, j.port, j.env.PORT, j.index, j.line]), [
    ['web', 5000, '5000', 0, 1],
    ['worker', 5100, '5100', 1, 3],
    ['clock', 5200, '5200', 2, 4],
  ]);
  const some = planProcfileRun({ entries, only: ['clock', 'web', 'clock'], basePort: 8000, parentEnv: {} });
  assert.deepEqual(some.map((j) => [j.name, j.port]), [['clock', 8200], ['web', 8000]]);
});

test('.env fills what the environment does not set; PORT always wins', () => {
  const [job] = planProcfileRun({
    entries,
    only: ['web'],
    basePort: 5000,
    parentEnv: { HOME: '/h', FROM: 'shell', GONE: undefined },
    dotenv: { FROM: 'dotenv', EXTRA: 'x', PORT: '1' },
  });
  assert.deepEqual(job!.env, { HOME: '/h', FROM: 'shell', EXTRA: 'x', PORT: '5000' });
});

test('an unknown name is refused with the names and a suggestion', () => {
  assert.throws(
    () => planProcfileRun({ entries, only: ['wroker'], basePort: 5000, parentEnv: {}, file: 'Procfile.dev' }),
    (e: unknown) =>
      e instanceof LabError && e.exitCode === 2 && /Procfile.dev has no process "wroker" \(did you mean "worker"\?\)/.test(e.message) &&
      e.hint === 'its processes: web, worker, clock',
  );
});

test("etcdEntryInfo reads etcd's Procfile line; other programs and shell code give null", () => {
  assert.deepEqual(
    etcdEntryInfo(
      "bin/etcd --name infra1 --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 --initial-cluster 'infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380'",
    ),
    { member: 'infra1', clientURL: 'http://127.0.0.1:2379', peerURL: 'http://127.0.0.1:12380' },
  );
  assert.deepEqual(etcdEntryInfo('GOFAIL=1 /usr/bin/etcd -name=a -listen-client-urls=http://0.0.0.0:2379,http://10.0.0.1:2379'), {
    member: 'a',
    clientURL: 'http://127.0.0.1:2379',
    peerURL: null,
  });
  assert.equal(etcdEntryInfo('bin/etcd grpc-proxy start --endpoints=127.0.0.1:2379'), null);
  assert.equal(etcdEntryInfo('etcdctl get foo'), null);
  assert.equal(etcdEntryInfo('etcd --name $NAME'), null);
  assert.equal(etcdEntryInfo('sleep 1; etcd'), null);
});
