import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { logsItsStart, pastBootstrapCheck } from '../../../src/etcd/log-lines.js';

test('pastBootstrapCheck: only the zap line of startNode/restartNode (after the bootstrap check)', () => {
  const lines = readFileSync(new URL('../../fixtures/zap-3.4.log', import.meta.url), 'utf8').split('\n');
  const hits = lines.filter(pastBootstrapCheck);
  assert.equal(hits.length, 1);
  assert.match(hits[0]!, /"msg":"starting local member"/);
  assert.ok(lines.findIndex(pastBootstrapCheck) > lines.findIndex((l) => l.includes('"msg":"configuring peer listeners"')));
  // A member that restarts from its WAL logs restartNode's line instead.
  assert.equal(pastBootstrapCheck('{"level":"info","ts":"2026-12-06T19:40:00.000Z","caller":"etcdserver/raft.go:536","msg":"restarting local member","cluster-id":"x"}'), true);
  assert.equal(pastBootstrapCheck('{"level":"info","msg":"serving peer traffic","address":"127.0.0.1:2380"}'), false);
  assert.equal(pastBootstrapCheck('2026-12-06 19:40:00.000000 I | etcdserver: starting member 8e9e05c52164694d in cluster cdf818194e3a8c32'), false);
});

test('logsItsStart: info and debug logs to stderr have the line; warn and above, or a log sent elsewhere, do not', () => {
  assert.equal(logsItsStart(['--name', 'm1', '--logger=zap', '--log-outputs=stderr']), true);
  assert.equal(logsItsStart(['--name', 'm1']), true);
  assert.equal(logsItsStart(['--log-level', 'debug']), true);
  assert.equal(logsItsStart(['--log-level=INFO']), true);
  assert.equal(logsItsStart(['--log-level=warn']), false);
  assert.equal(logsItsStart(['--log-level', 'info', '--log-level', 'error']), false, 'the last one wins');
  assert.equal(logsItsStart(['--log-outputs=stderr', '--log-outputs', '/var/log/etcd.log']), false);
  assert.equal(logsItsStart(['--log-outputs=/tmp/x.log,stderr']), true);
  assert.equal(logsItsStart(['--log-outputs=default']), true);
});
