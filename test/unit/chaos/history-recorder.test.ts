import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure, HistoryRecorder } from '../../../src/chaos/history-recorder.js';
import { EtcdRequestError, type EtcdErrorKind } from '../../../src/etcd/client.js';

const err = (kind: EtcdErrorKind, etcdMessage?: string): EtcdRequestError =>
  new EtcdRequestError(kind, `POST http://127.0.0.1:1/v3/kv/put: ${etcdMessage ?? kind}`, { url: 'http://127.0.0.1:1', ...(etcdMessage ? { etcdMessage } : {}) });
const put = { f: 'put', key: 'k', value: 'v' } as const;
const get = { f: 'get', key: 'k' } as const;

describe('classifyFailure', () => {
  test('a write refused before sending failed; one that may have been sent is unknown', () => {
    assert.equal(classifyFailure(put, err('refused')).outcome, 'fail');
    for (const k of ['timeout', 'network', 'aborted', 'http'] as const) assert.equal(classifyFailure(put, err(k)).outcome, 'unknown', k);
    assert.equal(classifyFailure({ f: 'cas', key: 'k', expect: null, value: 'v' }, err('timeout')).outcome, 'unknown');
  });

  test('etcd errors are unknown unless etcd refuses before proposing', () => {
    for (const m of ['etcdserver: request timed out', 'etcdserver: leader changed', 'etcdserver: no leader', 'etcdserver: request timed out, possibly due to previous leader failure']) {
      assert.equal(classifyFailure(put, err('etcd', m)).outcome, 'unknown', m);
    }
    assert.equal(classifyFailure(put, err('etcd', 'etcdserver: too many requests')).outcome, 'fail');
    assert.equal(classifyFailure(put, err('etcd', 'etcdserver: request is too large')).outcome, 'fail');
  });

  test('a read that failed in any way failed: it changed nothing', () => {
    for (const k of ['timeout', 'network', 'refused', 'etcd'] as const) assert.equal(classifyFailure(get, err(k, 'etcdserver: no leader')).outcome, 'fail', k);
  });
});

describe('HistoryRecorder', () => {
  test('records ok with output and revision, fail with a return time, unknown without one', async () => {
    const r = new HistoryRecorder();
    const ok = await r.record('c1', 'm1', put, async () => ({ output: { f: 'put' }, revision: '7' }));
    const failed = await r.record('c2', 'cluster', put, async () => Promise.reject(err('refused')));
    const unknown = await r.record('c3', 'm2', put, async () => Promise.reject(err('timeout')));
    assert.deepEqual([ok.id, failed.id, unknown.id], [0, 1, 2]);
    assert.deepEqual({ ...ok, invoke: 0, return: 0 }, { id: 0, client: 'c1', member: 'm1', input: put, invoke: 0, return: 0, outcome: 'ok', output: { f: 'put' }, revision: '7' });
    assert.ok(ok.return! >= ok.invoke);
    assert.equal(failed.outcome, 'fail');
    assert.equal(failed.error, 'refused: not running');
    assert.ok(failed.return !== undefined);
    assert.equal(unknown.outcome, 'unknown');
    assert.equal(unknown.return, undefined);
    assert.equal(unknown.output, undefined);
    assert.equal(r.history().length, 3);
  });

  test('wrap returns the call result or rethrows its error, recording either way', async () => {
    const r = new HistoryRecorder();
    assert.equal(await r.wrap('c1', 'm1', get, async () => 'x', (v) => ({ output: { f: 'get', value: v } })), 'x');
    const e = err('timeout');
    await assert.rejects(r.wrap('c1', 'm1', get, async () => Promise.reject(e), () => ({ output: { f: 'put' } })), (x) => x === e);
    assert.deepEqual(r.history().map((o) => [o.outcome, o.output]), [['ok', { f: 'get', value: 'x' }], ['fail', undefined]]);
  });
});
