// run.json read back: a valid report passes unchanged; a bad one is refused naming the first bad field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import { toRunReport } from '../../../src/report/validate.js';

const valid = () => ({
  meta: { command: 'x', etcdVersion: '3.5.30', members: ['m1'], startedAt: '2026-12-05T08:00:00.000Z', durationMs: 10 },
  faults: [{ n: 1, kind: 'kill', members: ['m1'], t: 1, ms: 0, text: 'kill m1' }],
  leaders: [{ t: 0, leader: null, term: null }],
  operations: [
    { id: 1, client: 'c1', input: { f: 'cas', key: 'k', expect: null, value: 'v' }, invoke: 1, return: 2, outcome: 'ok', output: { f: 'cas', succeeded: false } },
    { id: 2, client: 'c1', input: { f: 'get', key: 'k' }, invoke: 3, outcome: 'unknown' },
  ],
  metrics: [{ t: 0, member: 'm1', name: 'etcd_server_has_leader', value: 1 }],
  verdicts: [{ name: 'linearizability', verdict: 'unknown', detail: '' }],
  violations: [],
});

function refused(json: unknown): string {
  try {
    toRunReport(json, 'run/run.json');
  } catch (e) {
    assert.ok(e instanceof LabError);
    assert.equal(e.exitCode, 2);
    return e.message;
  }
  assert.fail('accepted');
}

test('a valid report is returned as it is', () => {
  const v = valid();
  assert.equal(toRunReport(v, 'f'), v);
});

test('the first bad field is named with its path', () => {
  const v = valid();
  (v.operations[1] as Record<string, unknown>).outcome = 'maybe';
  assert.equal(refused(v), 'run/run.json is not a run report: operations[1].outcome must be one of ok, fail, unknown, got "maybe"');
  const w = valid();
  delete (w.meta as Record<string, unknown>).durationMs;
  assert.match(refused(w), /meta\.durationMs must be a number, got undefined/);
  const x = valid();
  (x.operations[0]!.input as Record<string, unknown>).f = 'delete';
  assert.match(refused(x), /operations\[0\]\.input\.f must be one of get, put, cas, got "delete"/);
  assert.match(refused({ ...valid(), metrics: {} }), /metrics must be an array, got \{\}/);
  assert.match(refused([]), /not a run report: the whole file must be an object, got \[\]/);
});
