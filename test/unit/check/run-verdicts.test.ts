import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linearizabilityVerdicts, overallVerdict, watchVerdicts } from '../../../src/check/run-verdicts.js';
import { checkWatches } from '../../../src/check/watch.js';
import type { RegisterOperation } from '../../../src/check/history.js';
import { RegisterWorkload } from '../../../src/chaos/register-workload.js';

const op: RegisterOperation = { id: 1, client: 'c1', member: 'm1', input: { f: 'get', key: 'k' }, invoke: 1, return: 2, outcome: 'ok', output: { f: 'get', value: 'x' } };

describe('run verdicts', () => {
  test('a linearizability violation becomes a verdict and a violation in words, naming the key', () => {
    const r = linearizabilityVerdicts({ verdict: 'not-linearizable', operations: 3, partitions: 1, ms: 4.4, violation: { key: 'k', operations: [op], explanation: 'read x, which no write wrote' } });
    assert.deepEqual(r.verdicts, [{ name: 'linearizability', verdict: 'not-linearizable', detail: '3 operations on 1 keys, checked in 4 ms' }]);
    assert.deepEqual(r.violations, [{ checker: 'linearizability', explanation: 'key k: read x, which no write wrote', operations: [op] }]);
  });

  test('watch violations carry their events and no operations', () => {
    const w = watchVerdicts(checkWatches([{ watcher: 'w-m1', member: 'm1', t: 0, kind: 'open', startRevision: 1 }, { watcher: 'w-m1', member: 'm1', t: 1, kind: 'response', revision: 2, events: [{ type: 'put', key: 'a', value: '1', revision: 2 }, { type: 'put', key: 'a', value: '1', revision: 2 }] }], null));
    assert.deepEqual(w.verdicts.map((v) => `${v.name} ${v.verdict}`), ['watch: ordered passed', 'watch: unique failed', 'watch: atomic passed', 'watch: reliable unknown', 'watch: resumable unknown']);
    assert.equal(w.violations.length, 1);
    assert.deepEqual(w.violations[0]!.operations, []);
    assert.equal(w.violations[0]!.events!.length, 2);
  });

  test('overall: any violation fails; otherwise any unknown is unknown', () => {
    const v = (verdict: 'passed' | 'failed' | 'unknown' | 'linearizable' | 'not-linearizable') => ({ name: 'x', verdict, detail: '' });
    assert.equal(overallVerdict([v('passed'), v('linearizable')]), 'passed');
    assert.equal(overallVerdict([v('passed'), v('unknown')]), 'unknown');
    assert.equal(overallVerdict([v('unknown'), v('not-linearizable')]), 'failed');
    assert.equal(overallVerdict([v('failed'), v('linearizable')]), 'failed');
  });
});

describe('register workload', () => {
  test('clients go round robin over every member and "cluster"', () => {
    assert.deepEqual(RegisterWorkload.targets(['m1', 'm2', 'm3'], 8), ['m1', 'm2', 'm3', 'cluster', 'm1', 'm2', 'm3', 'cluster']);
    assert.deepEqual(RegisterWorkload.targets(['m1', 'm2', 'm3', 'm4', 'm5'], 8), ['m1', 'm2', 'm3', 'm4', 'm5', 'cluster', 'm1', 'm2']);
  });
});
