import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlyDaemonDir } from '../../../src/cli/up-scan.js';
import { daemonEnv, restoreDaemonEnv, SAVED_EXTRA_CA_CERTS } from '../../../src/cli/supervisor-spawn.js';

test('earlyDaemonDir: the state dir of `up -d` when the arguments alone name it', () => {
  assert.equal(earlyDaemonDir(['up', '-d'], false), '.etcd-lab');
  assert.equal(earlyDaemonDir(['up', '--detach', '-n', '5'], false), '.etcd-lab');
  assert.equal(earlyDaemonDir(['up', '-n', '5', '-d', '--dir', '/tmp/x'], true), '/tmp/x');
  assert.equal(earlyDaemonDir(['up', '-d', '--dir=/tmp/y'], false), '/tmp/y');
  // a value that looks like a flag is skipped, as commander takes it as the option's value
  assert.equal(earlyDaemonDir(['up', '--extra-arg', '-d'], false), null);
  assert.equal(earlyDaemonDir(['up', '--name-prefix', '--dir', '-d'], false), '.etcd-lab');
});

test('earlyDaemonDir: null when a settings file may name another dir, for help, other commands and foreground up', () => {
  assert.equal(earlyDaemonDir(['up', '-d'], true), null);
  assert.equal(earlyDaemonDir(['up', '-d', '-c', 'lab.yaml'], false), null);
  assert.equal(earlyDaemonDir(['up', '-d', '--config=lab.yaml'], false), null);
  assert.equal(earlyDaemonDir(['up', '-d', '--help'], false), null);
  assert.equal(earlyDaemonDir(['up'], false), null);
  assert.equal(earlyDaemonDir(['status', '-d'], false), null);
  assert.equal(earlyDaemonDir(['up', '--', '-d'], false), null);
  assert.equal(earlyDaemonDir(['up', '-d', '--dir', ''], false), null);
});

test('the background supervisor starts without NODE_EXTRA_CA_CERTS and hands it back to its children', () => {
  const env = daemonEnv({ PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  assert.deepEqual(env, { PATH: '/bin', [SAVED_EXTRA_CA_CERTS]: '/etc/ca.pem' });
  restoreDaemonEnv(env);
  assert.deepEqual(env, { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  const plain = daemonEnv({ PATH: '/bin' });
  assert.deepEqual(plain, { PATH: '/bin' });
  restoreDaemonEnv(plain);
  assert.deepEqual(plain, { PATH: '/bin' });
});
