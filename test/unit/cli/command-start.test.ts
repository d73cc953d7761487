import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { COMMAND_START_ENV, commandStartedAt, passCommandStart } from '../../../src/cli/command-start.js';
import { msSince } from '../../../src/supervisor/ready-figure.js';

test("without a parent's start, a command counts from its own process's start", () => {
  assert.equal(commandStartedAt({}), performance.timeOrigin);
});

test("a parent's start (earlier than ours) is taken, once: the processes we start do not inherit it", () => {
  const env = passCommandStart({ PATH: '/bin' }, performance.timeOrigin - 1234);
  assert.equal(env.PATH, '/bin');
  assert.equal(commandStartedAt(env), performance.timeOrigin - 1234);
  assert.equal(env[COMMAND_START_ENV], undefined);
});

test('a start that is no number, or later than our own, is ignored', () => {
  for (const v of ['soon', '', '-5', String(performance.timeOrigin + 60_000)]) {
    assert.equal(commandStartedAt({ [COMMAND_START_ENV]: v }), performance.timeOrigin, v);
  }
});

test('msSince counts on the epoch clock of timeOrigin', () => {
  // msSince rounds: it lies within half a millisecond of the clock read just before and just after it.
  const before = performance.now();
  const ms = msSince(performance.timeOrigin);
  const afterwards = performance.now();
  assert.ok(ms >= before - 0.5 && ms <= afterwards + 0.5, `${ms} not within [${before}, ${afterwards}]`);
  assert.ok(msSince(performance.timeOrigin + performance.now() - 5000) >= 5000);
});
