import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdStatus } from '../../../src/etcd/client.js';
import { assembleStatus, type StatusSource } from '../../../src/supervisor/status.js';

function answer(memberId: string, leader: string, raftTerm: string, over: Partial<EtcdStatus> = {}): EtcdStatus {
  return { memberId, leader, raftTerm, raftIndex: '9', revision: '4', dbSize: 20480, isLearner: false, version: '3.5.30', ...over } as EtcdStatus;
}
const src = (name: string, over: Partial<StatusSource> = {}): StatusSource => ({
  name,
  state: 'running',
  pid: 100,
  clientURL: `http://127.0.0.1:${name}`,
  peerURL: `http://127.0.0.1:p${name}`,
  ...over,
});

test('assembleStatus: the leader claimed in the highest term wins, by name, with its term', () => {
  const r = assembleStatus('/d', [src('a'), src('b'), src('c')], [answer('1', '1', '2'), answer('2', '3', '5'), answer('3', '3', '5')], '3.5.0');
  assert.equal(r.leader, 'c');
  assert.equal(r.leaderTerm, '5');
  assert.deepEqual(r.members.map((m) => m.isLeader), [false, false, true]);
  assert.equal(r.clusterVersion, '3.5.0');
  assert.equal(r.dir, '/d');
});

test('assembleStatus: a leader that did not answer is named by the ID learned before; a member without an answer has nulls', () => {
  const r = assembleStatus('/d', [src('a', { knownId: '1', state: 'paused' }), src('b')], [null, answer('2', '1', '3')], null);
  assert.equal(r.leader, 'a');
  assert.equal(r.members[0]!.isLeader, false, 'no answer: not marked leader in its row');
  assert.deepEqual([r.members[0]!.id, r.members[0]!.raftTerm, r.members[0]!.version, r.members[0]!.dbSize], [null, null, null, null]);
  const none = assembleStatus('/d', [src('a'), src('b')], [null, answer('2', '1', '3')], null);
  assert.equal(none.leader, null, 'without a known ID the leader has no name');
  assert.equal(none.leaderTerm, '3');
});

test('assembleStatus: a learner by its answer or by the member list', () => {
  const r = assembleStatus('/d', [src('a'), src('b', { listedLearner: true }), src('c')], [answer('1', '1', '2', { isLearner: true }), null, answer('3', '1', '2')], null);
  assert.deepEqual(r.members.map((m) => m.isLearner), [true, true, false]);
});
