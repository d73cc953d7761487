import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeExit, failureLines } from '../../../src/supervisor/exit-report.js';

test("failureLines cuts etcd's usage text after a flag error and keeps at most n lines", () => {
  const usage = ['flag provided but not defined: -bogus', 'Usage:', '', '  etcd [flags]', '    Start an etcd server.'];
  assert.deepEqual(failureLines(usage), ['flag provided but not defined: -bogus']);
  const many = Array.from({ length: 30 }, (_, i) => `l${i}`);
  assert.deepEqual(failureLines(many, 20), many.slice(10));
  assert.deepEqual(failureLines(many), many.slice(10), 'the default is the last 20 lines');
});

test('describeExit names the signal first, then the exit code; no code and no signal: could not be started', () => {
  assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'killed by SIGKILL');
  assert.equal(describeExit({ code: 3, signal: null }), 'exit code 3');
  assert.equal(describeExit({ code: 0, signal: null }), 'exit code 0');
  assert.equal(describeExit({ code: null, signal: null }), 'could not be started');
  assert.equal(describeExit(null), 'unknown');
});
