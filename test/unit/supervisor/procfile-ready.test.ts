import assert from 'node:assert/strict';
import { test } from 'node:test';
import { procfileClusterReady, waitProcfileReady } from '../../../src/supervisor/procfile-ready.js';
import type { MemberStatus, StatusReport } from '../../../src/supervisor/status.js';

function member(name: string, over: Partial<MemberStatus> = {}): MemberStatus {
  return {
    name, state: 'running', pid: 1, id: `id-${name}`, clientURL: `http://127.0.0.1:1/${name}`, peerURL: '', isLearner: false,
    isLeader: false, raftTerm: '2', raftIndex: '5', revision: '1', dbSize: 1, version: '3.5.30', ...over,
  };
}
const report = (leader: string | null, members: MemberStatus[]): StatusReport => ({ dir: '/d', leader, leaderTerm: leader ? '2' : null, clusterVersion: null, members });

test('ready: every etcd entry answered and a leader is claimed; other entries do not count', () => {
  assert.equal(procfileClusterReady(report('e1', [member('e1'), member('e2'), member('web', { clientURL: '', id: null })])), true);
  assert.equal(procfileClusterReady(report(null, [member('e1'), member('e2')])), false);
  assert.equal(procfileClusterReady(report('e1', [member('e1'), member('e2', { id: null })])), false);
  assert.equal(procfileClusterReady(report(null, [member('web', { clientURL: '', id: null })])), false);
});

test('waitProcfileReady polls until ready, and gives up when told to stop or with no etcd entry', async () => {
  let calls = 0;
  const r = await waitProcfileReady(async () => (++calls < 3 ? report(null, [member('e1', { id: null })]) : report('e1', [member('e1')])), {
    until: new AbortController().signal,
    timeoutMs: 10_000,
  });
  assert.equal(r?.leader, 'e1');
  assert.equal(calls, 3);
  const stopped = new AbortController();
  stopped.abort();
  assert.equal(await waitProcfileReady(async () => report(null, []), { until: stopped.signal, timeoutMs: 10_000 }), null);
  assert.equal(await waitProcfileReady(async () => report(null, [member('web', { clientURL: '' })]), { until: new AbortController().signal, timeoutMs: 10_000 }), null);
});
