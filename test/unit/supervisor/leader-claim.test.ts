import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdStatus } from '../../../src/etcd/client.js';
import { pickLeader } from '../../../src/supervisor/leader-claim.js';

function answer(memberId: string, leader: string | null, raftTerm: string): EtcdStatus {
  return { memberId, clusterId: 'c', leader, raftTerm, raftIndex: '9', raftAppliedIndex: '9', revision: '1', dbSize: 1, version: '3.5.30', isLearner: false, errors: [] };
}

test('pickLeader: the claim of the highest term wins over a cut-off leader still claiming its old term', () => {
  const got = pickLeader([answer('a', 'a', '4'), null, answer('b', 'b', '5'), answer('c', 'b', '5')]);
  assert.deepEqual(got, { id: 'b', term: 5n });
});

test('pickLeader: members that know no leader (candidates) do not count, whatever their term', () => {
  assert.deepEqual(pickLeader([answer('a', null, '9'), answer('b', 'c', '3')]), { id: 'c', term: 3n });
  assert.equal(pickLeader([answer('a', null, '9'), null]), null);
  assert.equal(pickLeader([]), null);
});

test('pickLeader: a term that is not a number counts as 0; 64-bit terms compare exactly', () => {
  assert.deepEqual(pickLeader([answer('a', 'a', 'x'), answer('b', 'b', '1')]), { id: 'b', term: 1n });
  assert.deepEqual(pickLeader([answer('a', 'a', '18446744073709551614'), answer('b', 'b', '18446744073709551615')]), { id: 'b', term: 18446744073709551615n });
});

test('pickLeader: a leader just elected shows its predecessor\'s term; at one term, the leader more members name wins', () => {
  // The old leader a, cut off, names itself; b won the election but has not applied an entry of its term yet; c voted for b.
  assert.deepEqual(pickLeader([answer('a', 'a', '2'), answer('b', 'b', '2'), answer('c', 'b', '2')]), { id: 'b', term: 2n });
  assert.deepEqual(pickLeader([answer('b', 'b', '2'), answer('c', 'b', '1'), answer('a', 'a', '2')]), { id: 'b', term: 2n });
});

test('pickLeader: two leaders at one term, each named only by itself, settle nothing', () => {
  assert.equal(pickLeader([answer('a', 'a', '2'), answer('b', 'b', '2'), answer('c', null, '2')]), null);
  // Short of a majority, a newer term decides, whatever the counts.
  assert.deepEqual(pickLeader([answer('a', 'a', '2'), answer('d', 'a', '2'), answer('b', 'b', '3'), null, null]), { id: 'b', term: 3n });
});

test('pickLeader: a leader a majority names wins, even against a cut-off leader showing a newer term', () => {
  // a had applied its first entry of term 5 when it was cut off; b, elected after, and c still show term 4.
  assert.deepEqual(pickLeader([answer('a', 'a', '5'), answer('b', 'b', '4'), answer('c', 'b', '4')]), { id: 'b', term: 4n });
  // Two of five is no majority: the newest term decides.
  assert.deepEqual(pickLeader([answer('a', 'a', '5'), answer('b', 'b', '4'), answer('c', 'b', '4'), null, null]), { id: 'a', term: 5n });
});
