import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, defaultSpec, memberNames, withClusterState } from '../../../src/plan/plan.js';
import { checkMemberCount, parseMemberCount, quorumOf, faultToleranceOf } from '../../../src/plan/count.js';
import { etcdLayout, baseLayout, parsePortsOption } from '../../../src/plan/ports.js';
import { LabError } from '../../../src/errors.js';
import type { ClusterSpec, EtcdVersion } from '../../../src/plan/types.js';

const v34: EtcdVersion = { major: 3, minor: 4, patch: 23, text: '3.4.23' };
const v35: EtcdVersion = { major: 3, minor: 5, patch: 30, text: '3.5.30' };
const v36: EtcdVersion = { major: 3, minor: 6, patch: 14, text: '3.6.14' };

function spec(over: Partial<ClusterSpec> = {}): ClusterSpec {
  return { ...defaultSpec(), ...over };
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LabError, `expected LabError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected an error');
}

test('quorum and fault tolerance', () => {
  assert.deepEqual([1, 3, 4, 5, 7].map(quorumOf), [1, 2, 3, 3, 4]);
  assert.deepEqual([1, 3, 4, 5, 7].map(faultToleranceOf), [0, 1, 1, 2, 3]);
});

test('even member counts are refused with the reason in the user\'s terms', () => {
  assert.throws(() => checkMemberCount(4, false), (e: LabError) => {
    assert.equal(e.code, 'EVEN_MEMBERS');
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /4 members tolerate 1 failure, the same as 3, and a 2\|2 partition leaves no majority; use 3 or 5, or pass --allow-even/);
    return true;
  });
  const w = checkMemberCount(4, true);
  assert.ok(w.some((x) => x.includes('2|2')));
});

test('member count bounds', () => {
  assert.equal(code(() => checkMemberCount(0, false)), 'MEMBER_COUNT');
  assert.equal(code(() => checkMemberCount(-3, false)), 'MEMBER_COUNT');
  assert.equal(code(() => checkMemberCount(17, true)), 'MEMBER_COUNT');
  assert.ok(checkMemberCount(9, false).some((w) => w.includes('at most 7')));
  assert.deepEqual(checkMemberCount(5, false), []);
  assert.equal(code(() => parseMemberCount('three')), 'MEMBER_COUNT');
  assert.equal(code(() => parseMemberCount('3.5')), 'MEMBER_COUNT');
  assert.equal(parseMemberCount('5'), 5);
});

test('etcd port layout follows etcd\'s documented local cluster', () => {
  assert.deepEqual(etcdLayout(3, false), [
    { client: 2379, peer: 12380 },
    { client: 22379, peer: 22380 },
    { client: 32379, peer: 32380 },
  ]);
  assert.deepEqual(etcdLayout(5, false)[4], { client: 52379, peer: 52380 });
  assert.deepEqual(etcdLayout(2, true)[1], { client: 22379, peer: 22380, proxy: 22381 });
  assert.equal(code(() => etcdLayout(7, false)), 'BAD_PORT');
});

test('base layout is consecutive and bounded', () => {
  assert.deepEqual(baseLayout(3, 30000, false), [
    { client: 30000, peer: 30001 },
    { client: 30002, peer: 30003 },
    { client: 30004, peer: 30005 },
  ]);
  assert.deepEqual(baseLayout(3, 30000, true).map((p) => p.proxy), [30006, 30007, 30008]);
  assert.equal(code(() => baseLayout(3, 65533, false)), 'BAD_PORT');
  assert.equal(code(() => baseLayout(3, 80, false)), 'BAD_PORT');
  assert.deepEqual(parsePortsOption('auto'), { kind: 'auto' });
  assert.deepEqual(parsePortsOption('20000'), { kind: 'base', base: 20000 });
  assert.equal(code(() => parsePortsOption('lots')), 'BAD_PORT');
});

test('a 3-member plan has every etcd flag each member needs', () => {
  const plan = buildPlan(spec({ nodes: 3 }), v34, 'tok-1');
  assert.equal(plan.quorum, 2);
  assert.equal(plan.faultTolerance, 1);
  assert.deepEqual(plan.members.map((m) => m.name), ['m1', 'm2', 'm3']);
  const m2 = plan.members[1]!;
  assert.equal(argValue(m2.args, '--name'), 'm2');
  assert.equal(argValue(m2.args, '--data-dir'), '.etcd-lab/data/m2');
  assert.equal(argValue(m2.args, '--listen-client-urls'), 'http://127.0.0.1:22379');
  assert.equal(argValue(m2.args, '--advertise-client-urls'), 'http://127.0.0.1:22379');
  assert.equal(argValue(m2.args, '--listen-peer-urls'), 'http://127.0.0.1:22380');
  assert.equal(argValue(m2.args, '--initial-advertise-peer-urls'), 'http://127.0.0.1:22380');
  assert.equal(
    argValue(m2.args, '--initial-cluster'),
    'm1=http://127.0.0.1:12380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380',
  );
  assert.equal(argValue(m2.args, '--initial-cluster-token'), 'tok-1');
  assert.equal(argValue(m2.args, '--initial-cluster-state'), 'new');
  assert.equal(argValue(m2.args, '--heartbeat-interval'), '10');
  assert.equal(argValue(m2.args, '--election-timeout'), '100');
  assert.deepEqual(m2.env, {});
  assert.equal(m2.proxyPort, null);
});

test('version dialects', () => {
  const a34 = buildPlan(spec(), v34, 't').members[0]!.args;
  assert.ok(a34.includes('--logger=zap') && a34.includes('--log-outputs=stderr'));
  const a35 = buildPlan(spec(), v35, 't').members[0]!.args;
  assert.ok(!a35.some((a) => a.startsWith('--logger')));
  assert.ok(!a35.some((a) => a.startsWith('--experimental') || a === '--enable-v2'));
  const p36 = buildPlan(spec({ extraArgs: ['--experimental-initial-corrupt-check', '--v2-deprecation=write-only'] }), v36, 't');
  assert.deepEqual(p36.warnings, ['--experimental-initial-corrupt-check is deprecated in etcd 3.6 and removed in 3.7 (planning for 3.6.14)']);
  // Flags 3.6 no longer has are refused before anything starts; 3.5 still has them.
  assert.throws(() => buildPlan(spec({ extraArgs: ['--enable-v2=true', '--proxy-dial-timeout=1000'] }), v36, 't'), (e: unknown) => {
    assert.ok(e instanceof LabError && e.code === 'BAD_VERSION', String(e));
    assert.match(e.message, /^--extra-arg: --enable-v2, --proxy-dial-timeout were removed in etcd 3\.6/);
    assert.match(e.hint ?? '', /--etcd-version 3\.5/);
    return true;
  });
  assert.throws(() => buildPlan(spec({ memberExtraArgs: { m2: ['--proxy', 'on'] } }), v36, 't'), /extra args of m2: --proxy was removed/);
  assert.equal(buildPlan(spec({ extraArgs: ['--enable-v2=true'] }), v35, 't').warnings.length, 0);
});

test('name prefix, explicit names and per-member extra args', () => {
  const plan = buildPlan(spec({ namePrefix: 'infra', memberExtraArgs: { infra2: ['--log-level=debug'] }, extraArgs: ['--auto-compaction-retention=1'] }), v35, 't');
  assert.deepEqual(plan.members.map((m) => m.name), ['infra1', 'infra2', 'infra3']);
  assert.equal(plan.members[1]!.args.at(-1), '--log-level=debug');
  assert.ok(plan.members.every((m) => m.args.includes('--auto-compaction-retention=1')));
  assert.ok(!plan.members[0]!.args.includes('--log-level=debug'));
  assert.equal(code(() => buildPlan(spec({ memberExtraArgs: { m9: ['-x'] } }), v35, 't')), 'UNKNOWN_MEMBER');
  assert.deepEqual(memberNames({ nodes: 3, namePrefix: 'x', names: ['a', 'b', 'c'] }), ['a', 'b', 'c']);
  assert.equal(code(() => memberNames({ nodes: 2, namePrefix: 'x', names: ['a', 'a'] })), 'BAD_NAME');
  assert.equal(code(() => memberNames({ nodes: 1, namePrefix: 'x', names: ['a b'] })), 'BAD_NAME');
});

test('timing: profiles, overrides and etcd\'s 5x rule', () => {
  const d = buildPlan(spec({ profile: 'default' }), v35, 't');
  assert.equal(d.heartbeatInterval, 100);
  assert.equal(d.electionTimeout, 1000);
  const o = buildPlan(spec({ heartbeatInterval: 50, electionTimeout: 500, quotaBackendBytes: 1024, snapshotCount: 99 }), v35, 't');
  const a = o.members[0]!.args;
  assert.equal(argValue(a, '--heartbeat-interval'), '50');
  assert.equal(argValue(a, '--quota-backend-bytes'), '1024');
  assert.equal(argValue(a, '--snapshot-count'), '99');
  assert.throws(() => buildPlan(spec({ heartbeatInterval: 100, electionTimeout: 400 }), v35, 't'), (e: LabError) => {
    assert.equal(e.code, 'BAD_TIMING');
    assert.match(e.message, /less than 5x/);
    assert.match(e.hint ?? '', /at least 500/);
    return true;
  });
});

test('etcd 3.4 members get --pre-vote (3.5 and later have it on); a setting of the user comes later and wins', () => {
  assert.ok(buildPlan(spec({ profile: 'fast' }), v34, 't').members.every((m) => m.args.includes('--pre-vote')));
  assert.ok(!buildPlan(spec({ profile: 'fast' }), v35, 't').members[0]!.args.includes('--pre-vote'));
  const mine = buildPlan(spec({ extraArgs: ['--pre-vote=false'] }), v34, 't').members[0]!.args;
  assert.ok(mine.indexOf('--pre-vote=false') > mine.indexOf('--pre-vote'));
});

test('short election timeouts start every member but the bootstrap anchor without the initial election tick advance', () => {
  const flag = '--initial-election-tick-advance=false';
  const without = (p: { members: { name: string; args: string[] }[] }): string[] => p.members.filter((m) => m.args.includes(flag)).map((m) => m.name);
  // m1's peer URL sorts first: it is the anchor, and the only member that keeps etcd's advance
  assert.deepEqual(without(buildPlan(spec({ profile: 'fast', nodes: 5 }), v34, 't')), ['m2', 'm3', 'm4', 'm5']);
  assert.deepEqual(without(buildPlan(spec({ profile: 'default' }), v35, 't')), []);
  assert.deepEqual(without(buildPlan(spec({ heartbeatInterval: 50, electionTimeout: 250 }), v35, 't')), ['m2', 'm3']);
  assert.deepEqual(without(buildPlan(spec({ heartbeatInterval: 50, electionTimeout: 300 }), v35, 't')), []);
  // the anchor is the member whose peer URL sorts first as text: ":10001" (m2) before ":9999" (m1)
  assert.deepEqual(without(buildPlan(spec({ profile: 'fast', ports: { kind: 'base', base: 9998 } }), v35, 't')), ['m1', 'm3']);
  // the user's own setting comes later on the command line, and etcd takes the last one
  const mine = buildPlan(spec({ profile: 'fast', extraArgs: ['--initial-election-tick-advance=true'] }), v35, 't').members[1]!.args;
  assert.ok(mine.indexOf('--initial-election-tick-advance=true') > mine.indexOf(flag));
});

test('chaos mode advertises peers on localhost. and points each member at its own proxy', () => {
  const plan = buildPlan(spec({ chaos: true, ports: { kind: 'base', base: 30000 } }), v34, 't');
  const m1 = plan.members[0]!;
  assert.equal(m1.peerURL, 'http://localhost.:30001');
  assert.equal(m1.listenPeerURL, 'http://127.0.0.1:30001');
  assert.equal(m1.proxyPort, 30006);
  assert.deepEqual(m1.env, { HTTP_PROXY: 'http://127.0.0.1:30006' });
  assert.equal(argValue(m1.args, '--listen-peer-urls'), 'http://127.0.0.1:30001');
  assert.match(plan.initialCluster, /^m1=http:\/\/localhost\.:30001,/);
});

test('hosts: public addresses warn, wildcard addresses are refused', () => {
  assert.ok(buildPlan(spec({ host: '192.168.1.20' }), v35, 't').warnings.some((w) => w.includes('reachable from other machines')));
  assert.deepEqual(buildPlan(spec(), v35, 't').warnings, []);
  assert.equal(code(() => buildPlan(spec({ host: '0.0.0.0' }), v35, 't')), 'USAGE');
});

test('withClusterState switches a member to join an existing cluster', () => {
  const a = withClusterState(['--name', 'x', '--initial-cluster-state', 'new'], 'existing');
  assert.equal(argValue(a, '--initial-cluster-state'), 'existing');
});
