import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/plan/config.js';
import { resolveSettings } from '../../../src/plan/settings.js';
import { LabError } from '../../../src/errors.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LabError);
    return e.message;
  }
  assert.fail('expected an error');
}

test('every key is read', () => {
  const src = parseConfig(
    [
      'nodes: 5',
      'name-prefix: infra',
      'host: 127.0.0.1',
      'dir: state',
      'ports: 30000',
      'profile: default',
      'heartbeat-interval: 50',
      'election-timeout: 600',
      'quota-backend-bytes: 1000000',
      'snapshot-count: 500',
      'extra-args: [--auto-compaction-retention=1]',
      'members:',
      '  infra2: { extra-args: [--log-level=debug] }',
      'cluster-token: tok',
      'etcd: /opt/etcd',
      'etcd-version: "3.5"',
      'chaos: true',
      'restart: never',
      'allow-even: false',
    ].join('\n'),
  );
  const r = resolveSettings({}, src);
  assert.equal(r.spec.nodes, 5);
  assert.equal(r.spec.namePrefix, 'infra');
  assert.equal(r.spec.dir, 'state');
  assert.deepEqual(r.spec.ports, { kind: 'base', base: 30000 });
  assert.equal(r.spec.profile, 'default');
  assert.equal(r.spec.heartbeatInterval, 50);
  assert.equal(r.spec.electionTimeout, 600);
  assert.equal(r.spec.quotaBackendBytes, 1000000);
  assert.equal(r.spec.snapshotCount, 500);
  assert.deepEqual(r.spec.extraArgs, ['--auto-compaction-retention=1']);
  assert.deepEqual(r.spec.memberExtraArgs, { infra2: ['--log-level=debug'] });
  assert.equal(r.spec.clusterToken, 'tok');
  assert.equal(r.etcd, '/opt/etcd');
  assert.equal(r.etcdVersion, '3.5');
  assert.equal(r.spec.chaos, true);
  assert.equal(r.restart, 'never');
});

test('flags override the file, extra args add up', () => {
  const src = parseConfig('nodes: 5\nprofile: default\nextra-args: [--a]\n');
  const r = resolveSettings({ nodes: 3, extraArgs: ['--b'] }, src);
  assert.equal(r.spec.nodes, 3);
  assert.equal(r.spec.profile, 'default');
  assert.deepEqual(r.spec.extraArgs, ['--a', '--b']);
});

test('errors point at the place in the file', () => {
  assert.equal(
    message(() => resolveSettings({}, parseConfig('# cluster\nprofile: fast\nnodes:        4\n'))),
    'etcd-lab.yaml:3:15: nodes must be an odd number, got 4: 4 members tolerate 1 failure, the same as 3, and a 2|2 partition leaves no majority; use 3 or 5, or pass --allow-even to demonstrate exactly that',
  );
  assert.equal(resolveSettings({ allowEven: true }, parseConfig('nodes: 4')).spec.nodes, 4);
  assert.match(message(() => parseConfig('nodez: 3')), /^etcd-lab\.yaml:1:1: unknown key "nodez" \(did you mean "nodes"\?\)/);
  assert.match(message(() => parseConfig('nodes: three', 'my.yaml')), /^my\.yaml:1:8: nodes must be a whole number/);
  assert.match(message(() => parseConfig('profile: fats')), /did you mean "fast"/);
  assert.match(message(() => parseConfig('ports: lots')), /^etcd-lab\.yaml:1:8: ports must be "etcd", "auto"/);
  assert.match(message(() => parseConfig('nodes: [3')), /^etcd-lab\.yaml:1:\d+: /);
  assert.match(message(() => parseConfig('members:\n  m1: { extra-arg: [x] }')), /2:9: unknown key "members\.m1\.extra-arg" \(did you mean "extra-args"\?\)/);
  assert.match(message(() => parseConfig('- 3')), /must be a mapping/);
  assert.match(message(() => resolveSettings({}, parseConfig('names: [a, b]\nnodes: 3'))), /2 names are given for 3 members/);
});

test('a YAML syntax error: the place once (file:line:col), a whole sentence, and the lines it shows as details', () => {
  const err = (() => {
    try {
      parseConfig('nodes: 3\nnodes: 5\n', 'dup.yaml');
    } catch (e) {
      return e as LabError;
    }
    throw new Error('no error');
  })();
  assert.equal(err.message, 'dup.yaml:2:1: Map keys must be unique');
  assert.deepEqual(err.details, ['nodes: 3', 'nodes: 5', '^']);
  assert.doesNotMatch(message(() => parseConfig('nodes: [3\n')), /(at line \d+, column \d+|:)$/);
});

test('an empty file is no settings', () => {
  assert.deepEqual(parseConfig('').values, {});
  assert.deepEqual(parseConfig('# nothing\n').values, {});
});
