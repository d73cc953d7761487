import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS, RestartBackoff, shouldRestart } from '../../../src/supervisor/restart-policy.js';

test('on-failure restarts a non-zero exit, a signal and a failed spawn; never an exit 0; never restarts nothing', () => {
  assert.equal(shouldRestart('on-failure', { code: 3, signal: null }), true);
  assert.equal(shouldRestart('on-failure', { code: null, signal: 'SIGKILL' }), true);
  assert.equal(shouldRestart('on-failure', { code: null, signal: null }), true);
  assert.equal(shouldRestart('on-failure', { code: 0, signal: null }), false);
  assert.equal(shouldRestart('never', { code: 3, signal: null }), false);
  assert.equal(shouldRestart('never', { code: null, signal: 'SIGKILL' }), false);
});

test('the backoff doubles from 250 ms to at most 8 s, and starts over after a run of 30 s', () => {
  assert.deepEqual([BACKOFF_FIRST_MS, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS], [250, 8000, 30_000]);
  const b = new RestartBackoff();
  const noop = (): void => undefined;
  b.started(1000);
  const delays = [];
  for (let i = 0; i < 7; i++) delays.push(b.schedule(noop, 1000 + i));
  b.cancel();
  assert.deepEqual(delays.map((d) => d.delayMs), [250, 500, 1000, 2000, 4000, 8000, 8000]);
  assert.deepEqual(delays.map((d) => d.attempt), [1, 2, 3, 4, 5, 6, 7]);
  b.started(2000);
  const after = b.schedule(noop, 2000 + 30_000);
  b.cancel();
  assert.deepEqual(after, { attempt: 8, delayMs: 250 });
});

test('one restart pending at a time; cancel stops it', async () => {
  const b = new RestartBackoff();
  let runs = 0;
  b.schedule(() => runs++);
  b.schedule(() => runs++);
  assert.equal(b.pending, true);
  b.cancel();
  assert.equal(b.pending, false);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(runs, 0);
  b.schedule(() => runs++, 0);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(runs, 1);
  assert.equal(b.pending, false);
});
