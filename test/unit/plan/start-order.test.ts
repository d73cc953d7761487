import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bootstrapAnchor, etcdWalDir, newClusterKey, staggerAnchor, type StaggerEntry } from '../../../src/plan/start-order.js';

const peers = (...urls: string[]) => urls.map((peerURL) => ({ peerURL }));

describe('bootstrapAnchor', () => {
  test('is the member whose peer URL sorts first', () => {
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:2380', 'http://127.0.0.1:12380', 'http://127.0.0.1:22380')), 1);
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:22380', 'http://127.0.0.1:22382', 'http://127.0.0.1:22384')), 0);
  });

  test('compares as strings, the way etcd sorts them, not as port numbers', () => {
    // 10001 < 9999 as numbers' digits go: "1" sorts before "9".
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:9999', 'http://127.0.0.1:10001')), 1);
  });

  test('takes the whole URL: scheme and host count before the port', () => {
    assert.equal(bootstrapAnchor(peers('https://127.0.0.1:1000', 'http://localhost.:5000', 'http://127.0.0.1:6000')), 2);
  });

  test('is -1 for no members', () => {
    assert.equal(bootstrapAnchor([]), -1);
  });
});

const fresh = (peerURL: string, newCluster = 'tok a=1,b=2'): StaggerEntry => ({ peerURL, newCluster, hasWal: false });

describe('staggerAnchor', () => {
  test('is the bootstrap anchor among the etcd members of one new cluster; other entries are skipped', () => {
    assert.equal(staggerAnchor([null, fresh('http://127.0.0.1:22380'), fresh('http://127.0.0.1:12380'), null]), 2);
  });

  test('is -1 for fewer than 2 new members', () => {
    assert.equal(staggerAnchor([]), -1);
    assert.equal(staggerAnchor([null, fresh('http://127.0.0.1:12380')]), -1);
    assert.equal(staggerAnchor([null, null]), -1);
  });

  test('leaves out members with a WAL, members joining an existing cluster, and members without a peer URL', () => {
    const wal = { ...fresh('http://127.0.0.1:2380'), hasWal: true };
    const joining = { ...fresh('http://127.0.0.1:2381'), newCluster: null };
    const noPeer = { ...fresh('http://127.0.0.1:2382'), peerURL: null };
    assert.equal(staggerAnchor([wal, joining, noPeer, fresh('http://127.0.0.1:2390')]), -1);
    assert.equal(staggerAnchor([wal, fresh('http://127.0.0.1:2391'), fresh('http://127.0.0.1:2390')]), 2);
  });

  test('is -1 when the new members bootstrap more than one cluster', () => {
    assert.equal(staggerAnchor([fresh('http://127.0.0.1:2380', 'x'), fresh('http://127.0.0.1:2381', 'x'), fresh('http://127.0.0.1:2382', 'y')]), -1);
  });
});

describe('newClusterKey', () => {
  const argv = (...a: string[]) => ['etcd', ...a];
  test('token and sorted --initial-cluster for a new cluster, etcd defaults when unset', () => {
    assert.equal(newClusterKey(argv('--initial-cluster', 'b=http://h:2,a=http://h:1', '--initial-cluster-token', 't')), 't a=http://h:1,b=http://h:2');
    assert.equal(
      newClusterKey(argv('--initial-cluster=a=http://h:1,b=http://h:2', '--initial-cluster-state=new')),
      newClusterKey(argv('--initial-cluster', 'b=http://h:2,a=http://h:1', '--initial-cluster-token', 'etcd-cluster')),
    );
    assert.equal(newClusterKey(argv()), 'etcd-cluster default=http://localhost:2380');
  });

  test('null when the member joins an existing cluster or uses discovery', () => {
    assert.equal(newClusterKey(argv('--initial-cluster-state', 'existing')), null);
    assert.equal(newClusterKey(argv('--discovery-srv', 'example.com')), null);
    assert.equal(newClusterKey(argv('-discovery=https://d/x')), null);
  });
});

describe('etcdWalDir', () => {
  const argv = (...a: string[]) => ['/usr/bin/etcd', ...a];
  test('--wal-dir when given', () => {
    assert.equal(etcdWalDir(argv('--data-dir', 'd', '--wal-dir', '/fast/wal')), '/fast/wal');
  });
  test('<data-dir>/member/wal, the data dir <name>.etcd by default', () => {
    assert.equal(etcdWalDir(argv('--data-dir', '.etcd-lab/data/m1/')), '.etcd-lab/data/m1/member/wal');
    assert.equal(etcdWalDir(argv('--name', 'infra1')), 'infra1.etcd/member/wal');
    assert.equal(etcdWalDir(argv()), 'default.etcd/member/wal');
  });
});
