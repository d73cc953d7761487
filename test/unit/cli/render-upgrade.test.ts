import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderUpgrade } from '../../../src/cli/render-upgrade.js';
import type { MemberUpgrade, UpgradeResult } from '../../../src/supervisor/upgrade.js';

function member(over: Partial<MemberUpgrade>): MemberUpgrade {
  return {
    member: 'm1',
    from: '3.5.30',
    to: '3.6.14',
    action: 'upgraded',
    wasLeader: false,
    stopped: 'graceful',
    stopMs: 1017,
    startMs: 545,
    readyMs: 131,
    totalMs: 1704,
    startedAt: 1,
    endedAt: 2,
    leaderAfter: 'm1',
    ...over,
  };
}

const result: UpgradeResult = {
  etcdPath: '/x/etcd',
  version: '3.6.14',
  members: [
    member({ member: 'm3', action: 'unchanged', from: '3.6.14', stopped: null, stopMs: null, startMs: null, readyMs: null, totalMs: 0 }),
    member({ member: 'm2' }),
    member({ member: 'm1', wasLeader: true, stopped: 'killed', stopMs: 10003, totalMs: 10500, leaderAfter: 'm3' }),
    member({ member: 'm4', action: 'started', stopped: null, stopMs: null, totalMs: 700 }),
  ],
  clusterVersion: '3.6.0',
  expectedClusterVersion: '3.6.0',
  clusterVersionMs: 2600,
  leader: 'm3',
  warnings: [],
  elapsedMs: 16100,
};

test('one line per member with its role and timings, then the cluster version', () => {
  assert.equal(
    renderUpgrade(result),
    [
      'm3  3.6.14, unchanged (it runs etcd 3.6.14 already)',
      'm2  3.5.30 -> 3.6.14  follower  stop 1017 ms, start 545 ms, ready 131 ms: 1704 ms',
      'm1  3.5.30 -> 3.6.14  leader    stop 10003 ms (SIGKILLed), start 545 ms, ready 131 ms: 10500 ms; leader now m3',
      'm4  3.5.30 -> 3.6.14  was down  start 545 ms, ready 131 ms: 700 ms',
      'cluster version 3.6.0 (2.6 s after the last member); 3 members on etcd 3.6.14 in 16.1 s, leader m3',
      '',
    ].join('\n'),
  );
});

test('a cluster version that did not get there in time is said so; nothing to do is said so', () => {
  assert.match(renderUpgrade({ ...result, clusterVersion: '3.5.0', clusterVersionMs: null }), /^cluster version 3\.5\.0 \(not yet 3\.6\.0: /m);
  assert.equal(renderUpgrade({ ...result, members: [result.members[0]!] }).split('\n').at(-2), 'nothing to do: cluster version 3.6.0, leader m3');
});
