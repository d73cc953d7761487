import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatusTable } from '../../../src/cli/render-status.js';
import type { MemberStatus, StatusReport } from '../../../src/supervisor/status.js';

function member(over: Partial<MemberStatus>): MemberStatus {
  return {
    name: 'm1',
    state: 'running',
    pid: 10,
    id: '1',
    clientURL: 'http://127.0.0.1:2379',
    peerURL: 'http://127.0.0.1:12380',
    isLearner: false,
    isLeader: false,
    raftTerm: '2',
    raftIndex: '11',
    revision: '1',
    dbSize: 20480,
    version: null,
    ...over,
  };
}

test('renderStatusTable marks a learner in the LEADER column and names the gRPC proxy after the table', () => {
  const report: StatusReport = {
    dir: '/tmp/lab',
    leader: 'm1',
    leaderTerm: '2',
    clusterVersion: null,
    members: [member({ isLeader: true }), member({ name: 'm4', pid: 11, isLearner: true, clientURL: 'http://127.0.0.1:42379' })],
    grpcProxy: { endpoint: '127.0.0.1:23790', pid: 12, state: 'running', endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:42379'], log: '/tmp/lab/logs/grpc-proxy.log' },
  };
  assert.equal(
    renderStatusTable(report, { color: false }),
    [
      'NAME  PID  STATE    CLIENT URL              LEADER   TERM  INDEX  REVISION  DB SIZE  VERSION',
      'm1     10  running  http://127.0.0.1:2379   *           2     11         1   20 KiB  -',
      'm4     11  running  http://127.0.0.1:42379  learner     2     11         1   20 KiB  -',
      'gRPC proxy 127.0.0.1:23790 (running, pid 12) -> 2 members',
    ].join('\n'),
  );
  const colored = renderStatusTable(report, { color: true });
  assert.equal(colored.replace(/\x1b\[[0-9;]*m/g, ''), renderStatusTable(report, { color: false }));
});

test('renderStatusTable without a gRPC proxy adds no line', () => {
  const out = renderStatusTable({ dir: '/x', leader: null, leaderTerm: null, clusterVersion: null, members: [member({})] }, { color: false });
  assert.equal(out.split('\n').length, 2);
});
