import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import { checkNetnsSupport, netnsOwner, netnsRunDirPrefix, staleNetns, staleRunDirs } from '../../../src/supervisor/netns.js';
import { parseEndpointStatus } from '../../../src/supervisor/netns-cluster.js';

test('netns hosts are refused clearly outside Linux and without root', () => {
  assert.throws(() => checkNetnsSupport('darwin', 0), (e: unknown) => e instanceof LabError && e.code === 'NETNS' && /need Linux \(this is darwin\)/.test(e.message) && e.exitCode === 1);
  assert.throws(() => checkNetnsSupport('linux', 1000), (e: unknown) => e instanceof LabError && /need root/.test(e.message) && /sudo/.test(e.hint ?? ''));
  assert.doesNotThrow(() => checkNetnsSupport('linux', 0));
});

test('only etcd-lab\'s namespaces of runs that are gone are stale', () => {
  assert.equal(netnsOwner('etcdlab-4242-a1b2c3-m1'), 4242);
  assert.equal(netnsOwner('etcdlab-4242-a1b2c3-sw'), 4242);
  for (const other of ['etcdlab-x-a1b2c3-m1', 'cni-1234', 'etcdlab-4242-m1', 'myetcdlab-4242-a1b2c3-m1', 'etcdlab-4242-A1B2C3-m1']) assert.equal(netnsOwner(other), null, other);
  const names = ['etcdlab-1-aaaaaa-m1', 'etcdlab-2-bbbbbb-m1', 'cni-77', 'etcdlab-2-bbbbbb-sw'];
  assert.deepEqual(staleNetns(names, (pid) => pid === 1), ['etcdlab-2-bbbbbb-m1', 'etcdlab-2-bbbbbb-sw']);
});

test('endpoint status keeps 64-bit member ids exact', () => {
  const text = '[{"Endpoint":"http://10.77.0.11:2379","Status":{"header":{"cluster_id":1,"member_id":17333108055141959899,"revision":1,"raft_term":2},"leader":9007199254740993}}]';
  assert.deepEqual(parseEndpointStatus(text), [{ endpoint: 'http://10.77.0.11:2379', memberId: '17333108055141959899', leader: '9007199254740993', raftTerm: '2' }]);
});

test('staleRunDirs: only run folders (etcd-lab-netns-<pid>-XXXXXX) of processes that are gone', () => {
  const entries = ['etcd-lab-netns-1-abcDEF', 'etcd-lab-netns-2-a1b2c3', 'etcd-lab-netns-2-a1b2c3x', 'etcd-lab-netns-XYZ123', 'etcd-lab-demo-2-abcdef', 'other'];
  assert.deepEqual(staleRunDirs(entries, (pid) => pid === 1), ['etcd-lab-netns-2-a1b2c3']);
  assert.match(`${netnsRunDirPrefix(42)}Ab12Cd`, /^etcd-lab-netns-42-Ab12Cd$/);
  assert.deepEqual(staleRunDirs([`${netnsRunDirPrefix(7)}Ab12Cd`], () => false), ['etcd-lab-netns-7-Ab12Cd']);
});
