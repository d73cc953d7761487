import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, defaultSpec } from '../../../src/plan/plan.js';
import {
  checkMove,
  checkRemoval,
  joiningMemberPlan,
  movedMemberPlan,
  nextMemberName,
  nextMemberPorts,
  planTotals,
  type MemberView,
} from '../../../src/plan/membership.js';
import { LabError } from '../../../src/errors.js';
import type { ClusterSpec, EtcdVersion } from '../../../src/plan/types.js';

const v34: EtcdVersion = { major: 3, minor: 4, patch: 23, text: '3.4.23' };

function plan(over: Partial<ClusterSpec> = {}) {
  return buildPlan({ ...defaultSpec(), dir: '/tmp/lab', ...over }, v34, 'tok');
}

function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function refusal(fn: () => unknown): LabError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LabError, `expected LabError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a refusal');
}

test('nextMemberName continues <prefix>N and gives up on names without one scheme', () => {
  assert.equal(nextMemberName(['m1', 'm2', 'm3']), 'm4');
  assert.equal(nextMemberName(['m1', 'm3']), 'm4');
  assert.equal(nextMemberName(['etcd-1', 'etcd-2']), 'etcd-3');
  assert.equal(nextMemberName(['a1', 'b2']), null);
  assert.equal(nextMemberName(['alpha', 'beta']), null);
  assert.equal(nextMemberName(['1', '2']), null);
});

test('nextMemberPorts: etcd layout continues at k*10000+2379, other layouts after the highest member port', () => {
  assert.deepEqual(nextMemberPorts(plan()), { client: 42379, peer: 42380 });
  assert.deepEqual(nextMemberPorts(plan({ chaos: true })), { client: 42379, peer: 42380, proxy: 42381 });
  const base = plan({ ports: { kind: 'base', base: 20000 } });
  assert.deepEqual(nextMemberPorts(base), { client: 20006, peer: 20007 });
  // a port in use elsewhere (the gRPC proxy) is skipped, a port above the members' is not a reason to jump
  assert.deepEqual(nextMemberPorts(base, [20006, 20099]), { client: 20007, peer: 20008 });
  // chaos base layout: proxies sit after the pairs (20006..20008), the new member goes after them
  assert.deepEqual(nextMemberPorts(plan({ chaos: true, ports: { kind: 'base', base: 20000 } })), { client: 20009, peer: 20010, proxy: 20011 });
  assert.equal(nextMemberPorts(plan({ ports: { kind: 'base', base: 65530 } })), null);
});

test('joiningMemberPlan: own flags set, state existing, the cluster in --initial-cluster, shared flags copied', () => {
  const p = plan({ ports: { kind: 'base', base: 20000 }, extraArgs: ['--snapshot-count', '500'], memberExtraArgs: { m2: ['--debug'] } });
  const cluster = p.members.map((m) => ({ name: m.name, peerURL: m.peerURL }));
  const mp = joiningMemberPlan(p, { name: 'm4', ports: { client: 20006, peer: 20007 }, cluster });
  assert.equal(mp.name, 'm4');
  assert.equal(mp.index, 4);
  assert.equal(mp.clientURL, 'http://127.0.0.1:20006');
  assert.equal(mp.peerURL, 'http://127.0.0.1:20007');
  assert.equal(mp.dataDir, '/tmp/lab/data/m4');
  assert.equal(arg(mp.args, '--name'), 'm4');
  assert.equal(arg(mp.args, '--data-dir'), '/tmp/lab/data/m4');
  assert.equal(arg(mp.args, '--listen-client-urls'), 'http://127.0.0.1:20006');
  assert.equal(arg(mp.args, '--initial-advertise-peer-urls'), 'http://127.0.0.1:20007');
  assert.equal(arg(mp.args, '--initial-cluster-state'), 'existing');
  assert.equal(
    arg(mp.args, '--initial-cluster'),
    'm1=http://127.0.0.1:20001,m2=http://127.0.0.1:20003,m3=http://127.0.0.1:20005,m4=http://127.0.0.1:20007',
  );
  assert.equal(arg(mp.args, '--initial-cluster-token'), 'tok');
  assert.equal(arg(mp.args, '--snapshot-count'), '500');
  assert.ok(mp.args.includes('--logger=zap'));
  assert.ok(!mp.args.includes('--debug'), "m2's own extra args are not copied");
  assert.equal(mp.args.filter((a) => a === '--name').length, 1);
});

test('joiningMemberPlan in chaos mode: advertised on localhost., its own proxy in HTTP_PROXY', () => {
  const p = plan({ chaos: true, ports: { kind: 'base', base: 20000 } });
  const mp = joiningMemberPlan(p, { name: 'm4', ports: { client: 20009, peer: 20010, proxy: 20011 }, cluster: p.members });
  assert.equal(mp.peerURL, 'http://localhost.:20010');
  assert.equal(mp.listenPeerURL, 'http://127.0.0.1:20010');
  assert.equal(mp.proxyPort, 20011);
  assert.equal(mp.env.HTTP_PROXY, 'http://127.0.0.1:20011');
  assert.equal(p.members[0]!.env.HTTP_PROXY, 'http://127.0.0.1:20006', 'the template is not changed');
});

test('movedMemberPlan changes the peer port only', () => {
  const p = plan({ ports: { kind: 'base', base: 20000 } });
  const moved = movedMemberPlan(p, p.members[1]!, 20050);
  assert.equal(moved.peerURL, 'http://127.0.0.1:20050');
  assert.equal(moved.listenPeerURL, 'http://127.0.0.1:20050');
  assert.equal(moved.clientURL, p.members[1]!.clientURL);
  assert.equal(moved.dataDir, p.members[1]!.dataDir);
  assert.equal(arg(moved.args, '--listen-peer-urls'), 'http://127.0.0.1:20050');
  assert.equal(arg(moved.args, '--initial-advertise-peer-urls'), 'http://127.0.0.1:20050');
  assert.match(arg(moved.args, '--initial-cluster')!, /m2=http:\/\/127\.0\.0\.1:20050/);
  assert.equal(arg(p.members[1]!.args, '--listen-peer-urls'), 'http://127.0.0.1:20003', 'the input is not changed');
});

test('planTotals counts voters only', () => {
  const p = plan({ nodes: 5 });
  assert.deepEqual(
    { ...planTotals(p.members), initialCluster: undefined },
    { quorum: 3, faultTolerance: 2, initialCluster: undefined },
  );
  const t = planTotals(p.members, new Set(['m5']));
  assert.equal(t.quorum, 3);
  assert.equal(t.faultTolerance, 1);
  assert.equal(t.initialCluster, p.initialCluster);
});

const up = (name: string, voter = true): MemberView => ({ name, voter, up: true });
const down = (name: string, voter = true): MemberView => ({ name, voter, up: false });

test('checkRemoval refuses the last member', () => {
  const e = refusal(() => checkRemoval([up('m1')], 'm1'));
  assert.equal(e.code, 'MEMBERSHIP');
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /m1 is the last member/);
});

test('checkRemoval refuses a removal that leaves too few voters up, and says who is up and down', () => {
  const e = refusal(() => checkRemoval([up('m1'), up('m2'), down('m3')], 'm2'));
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, 'removing m2 leaves 1 of 2 voting members up (m1; m3 down), and a 2-member cluster needs 2 for quorum: it would stop accepting writes');
  const e5 = refusal(() => checkRemoval([up('m1'), up('m2'), up('m3'), down('m4'), down('m5')], 'm3'));
  assert.match(e5.message, /^removing m3 leaves 2 of 4 voting members up \(m1, m2; m4, m5 down\), and a 4-member cluster needs 3/);
});

test('checkRemoval allows removing a member that is down, a learner, or one of a healthy cluster', () => {
  checkRemoval([up('m1'), up('m2'), down('m3')], 'm3');
  checkRemoval([up('m1'), up('m2'), up('m3')], 'm1');
  checkRemoval([up('m1'), up('m2'), up('m3'), down('m4', false)], 'm4');
  checkRemoval([up('m1'), up('m2'), up('m3', false)], 'm3');
});

test('checkRemoval refuses when the cluster has no quorum now, or when only learners would be left', () => {
  assert.match(refusal(() => checkRemoval([up('m1'), down('m2'), down('m3')], 'm2')).message, /no quorum now \(1 of 3/);
  assert.match(refusal(() => checkRemoval([up('m1'), up('m2', false)], 'm1')).message, /only voting member/);
  assert.equal(refusal(() => checkRemoval([up('m1')], 'm9')).code, 'UNKNOWN_MEMBER');
});

test('checkMove refuses a migration that would lose quorum while the member is down', () => {
  checkMove([up('m1'), up('m2'), up('m3')], 'm2');
  checkMove([up('m1')], 'm1');
  checkMove([up('m1'), up('m2'), down('m3'), up('m4', false)], 'm4');
  const e = refusal(() => checkMove([up('m1'), up('m2'), down('m3')], 'm2'));
  assert.equal(e.exitCode, 2);
  assert.match(e.message, /^replacing m2 takes it down for a moment: 1 of 3 voting members would stay up \(m1\), and 2 are needed/);
});
