import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanBytes, renderStatusTable } from '../../../src/cli/render-status.js';
import type { MemberStatus, StatusReport } from '../../../src/supervisor/status.js';

function member(over: Partial<MemberStatus>): MemberStatus {
  return {
    name: 'm1',
    state: 'running',
    pid: 1234,
    id: '8e9e05c52164694d',
    clientURL: 'http://127.0.0.1:2379',
    peerURL: 'http://127.0.0.1:12380',
    isLearner: false,
    isLeader: false,
    raftTerm: '2',
    raftIndex: '11',
    revision: '1',
    dbSize: 20480,
    version: '3.5.30',
    ...over,
  };
}

const report: StatusReport = {
  dir: '/tmp/lab',
  leader: 'm2',
  leaderTerm: '2',
  clusterVersion: '3.5.0',
  members: [
    member({}),
    member({ name: 'm2', pid: 99999, isLeader: true, clientURL: 'http://127.0.0.1:22379', dbSize: 5 * 1024 * 1024, version: '3.6.14' }),
    member({ name: 'm3', state: 'paused', pid: 7, id: null, raftTerm: null, raftIndex: null, revision: null, dbSize: null, version: null }),
    member({ name: 'm4', state: 'stopped', pid: null, id: null, raftTerm: null, raftIndex: null, revision: null, dbSize: null, version: null }),
  ],
};

test('humanBytes', () => {
  assert.equal(humanBytes(0), '0 B');
  assert.equal(humanBytes(1023), '1023 B');
  assert.equal(humanBytes(20480), '20 KiB');
  assert.equal(humanBytes(1536), '1.5 KiB');
  assert.equal(humanBytes(5 * 1024 * 1024), '5 MiB');
  assert.equal(humanBytes(150 * 1024 * 1024), '150 MiB');
  assert.equal(humanBytes(2 * 1024 ** 3), '2 GiB');
});

test('renderStatusTable without color: aligned columns, leader mark, dashes for unknowns, versions and the cluster version', () => {
  const out = renderStatusTable(report, { color: false });
  assert.equal(
    out,
    [
      'NAME    PID  STATE    CLIENT URL              LEADER  TERM  INDEX  REVISION  DB SIZE  VERSION',
      'm1     1234  running  http://127.0.0.1:2379              2     11         1   20 KiB  3.5.30',
      'm2    99999  running  http://127.0.0.1:22379  *          2     11         1    5 MiB  3.6.14',
      'm3        7  paused   http://127.0.0.1:2379              -      -         -        -  -',
      'm4        -  stopped  http://127.0.0.1:2379              -      -         -        -  -',
      'cluster version 3.5.0 (members run 3.5.30, 3.6.14)',
    ].join('\n'),
  );
  assert.ok(!out.includes('\x1b['));
});

test('renderStatusTable with color keeps the same text once escapes are removed', () => {
  const colored = renderStatusTable(report, { color: true });
  assert.ok(colored.includes('\x1b['));
  // eslint-disable-next-line no-control-regex
  assert.equal(colored.replace(/\x1b\[[0-9;]*m/g, ''), renderStatusTable(report, { color: false }));
});

test('renderStatusTable: one version among the members is not called mixed; no version known, no line', () => {
  const same = renderStatusTable({ ...report, members: [member({}), member({ name: 'm2' })] }, { color: false });
  assert.equal(same.split('\n').at(-1), 'cluster version 3.5.0');
  const none = renderStatusTable({ ...report, clusterVersion: null, members: [member({ version: null })] }, { color: false });
  assert.equal(none.split('\n').length, 2);
});

test('renderStatusTable marks a learner in the LEADER column and names the gRPC proxy after the table', () => {
  const report: StatusReport = {
    dir: '/tmp/lab',
    leader: 'm1',
    leaderTerm: '2',
    clusterVersion: null,
    members: [member({ pid: 10, version: null, isLeader: true }), member({ name: 'm4', pid: 11, version: null, isLearner: true, clientURL: 'http://127.0.0.1:42379' })],
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
  const out = renderStatusTable({ dir: '/x', leader: null, leaderTerm: null, clusterVersion: null, members: [member({ version: null })] }, { color: false });
  assert.equal(out.split('\n').length, 2);
});
