import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import { buildHostsPlan, parseHostsOption, type HostsSpec } from '../../../src/plan/hosts.js';
import { parseConfig } from '../../../src/plan/config.js';
import { resolveSettings } from '../../../src/plan/settings.js';
import type { EtcdVersion } from '../../../src/plan/types.js';

const v34: EtcdVersion = { major: 3, minor: 4, patch: 23, text: '3.4.23' };
const v36: EtcdVersion = { major: 3, minor: 6, patch: 14, text: '3.6.14' };

function spec(hosts: string, over: Partial<HostsSpec> = {}): HostsSpec {
  return {
    hosts: over.hosts ?? parseHostsOption(hosts), allowEven: false, namePrefix: 'm', dataDir: '/var/lib/etcd', profile: 'default',
    extraArgs: [], bootstrap: { mode: 'static' }, ...over,
  };
}

function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function refused(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof LabError && e.code === code && re.test(e.message) && e.exitCode === 2);
}

test('one member per host on etcd\'s ports, each listening on its own address, static bootstrap', () => {
  const p = buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12'), v34, 'tok');
  assert.deepEqual(p.members.map((m) => m.name), ['m1', 'm2', 'm3']);
  assert.equal(p.quorum, 2);
  const m2 = p.members[1]!;
  assert.equal(arg(m2.args, '--listen-peer-urls'), 'http://10.0.1.11:2380');
  assert.equal(arg(m2.args, '--listen-client-urls'), 'http://10.0.1.11:2379,http://127.0.0.1:2379');
  assert.equal(arg(m2.args, '--advertise-client-urls'), 'http://10.0.1.11:2379');
  assert.equal(arg(m2.args, '--initial-advertise-peer-urls'), 'http://10.0.1.11:2380');
  assert.equal(arg(m2.args, '--initial-cluster'), 'm1=http://10.0.1.10:2380,m2=http://10.0.1.11:2380,m3=http://10.0.1.12:2380');
  assert.equal(arg(m2.args, '--data-dir'), '/var/lib/etcd');
  assert.equal(arg(m2.args, '--election-timeout'), '1000');
  // The 3.4 dialect is there; no other host's address appears in a member's listen URLs.
  assert.ok(m2.args.includes('--pre-vote'));
  assert.equal(p.endpoints, 'http://10.0.1.10:2379,http://10.0.1.11:2379,http://10.0.1.12:2379');
});

test('named entries, IPv6 and host names', () => {
  const p = buildHostsPlan(spec('db1=10.0.1.10,db2=[fd00::11],db3=etcd3.example.com'), v36, 'tok');
  assert.deepEqual(p.members.map((m) => m.name), ['db1', 'db2', 'db3']);
  assert.equal(p.members[1]!.peerURL, 'http://[fd00::11]:2380');
  assert.equal(arg(p.members[1]!.args, '--listen-client-urls'), 'http://[fd00::11]:2379,http://[::1]:2379');
  assert.equal(p.members[2]!.clientURL, 'http://etcd3.example.com:2379');
  // etcd binds IP addresses only: a host named by DNS listens on all its addresses.
  assert.equal(arg(p.members[2]!.args, '--listen-peer-urls'), 'http://0.0.0.0:2380');
  assert.equal(arg(p.members[2]!.args, '--listen-client-urls'), 'http://0.0.0.0:2379');
  assert.ok(!p.members[0]!.args.includes('--pre-vote'), '3.6 has pre-vote on by default');
});

test('per-host ports and data dirs (two members on one host)', () => {
  const p = buildHostsPlan(spec('', {
    hosts: [
      { address: '10.0.1.10' },
      { address: '10.0.1.10', clientPort: 12379, peerPort: 12380, dataDir: '/srv/etcd2' },
      { address: '10.0.1.12' },
    ],
  }), v34, 'tok');
  assert.equal(p.members[1]!.peerURL, 'http://10.0.1.10:12380');
  assert.equal(p.members[1]!.dataDir, '/srv/etcd2');
  assert.ok(p.warnings.some((w) => /more than one member/.test(w)));
});

test('bad hosts are refused: duplicate, unparsable, even count, clashing ports, shared data dir, wildcard', () => {
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.10,10.0.1.12'), v34, 't'), 'BAD_HOST', /10\.0\.1\.10 is listed twice/);
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.300,10.0.1.12'), v34, 't'), 'BAD_HOST', /entry 2: "10\.0\.1\.300" is not/);
  refused(() => buildHostsPlan(spec('10.0.1.10,bad_host!,10.0.1.12'), v34, 't'), 'BAD_HOST', /"bad_host!" is not/);
  refused(() => buildHostsPlan(spec('10.0.1.10,,10.0.1.12'), v34, 't'), 'BAD_HOST', /entry 2: an empty host/);
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.11'), v34, 't'), 'EVEN_MEMBERS', /^hosts: 2 members/);
  refused(() => buildHostsPlan(spec('10.0.1.10,0.0.0.0,10.0.1.12'), v34, 't'), 'BAD_HOST', /not a host's address/);
  refused(() => buildHostsPlan(spec('', { hosts: [{ address: '10.0.1.10' }, { address: '10.0.1.10', clientPort: 2380, peerPort: 2390, dataDir: '/b' }, { address: '10.0.1.12' }] }), v34, 't'),
    'BAD_PORT', /client port 2380 on 10\.0\.1\.10 is already used by m1 \(peer\)/);
  refused(() => buildHostsPlan(spec('', { hosts: [{ address: '10.0.1.10' }, { address: '10.0.1.10', clientPort: 12379, peerPort: 12380 }, { address: '10.0.1.12' }] }), v34, 't'),
    'BAD_HOST', /m2 and m1 would share the data dir/);
  refused(() => buildHostsPlan(spec('a=10.0.1.10,a=10.0.1.11,b=10.0.1.12'), v34, 't'), 'BAD_NAME', /"a" is used twice/);
  // --allow-even lets an even count through, with the warning.
  const even = buildHostsPlan(spec('10.0.1.10,10.0.1.11', { allowEven: true }), v34, 't');
  assert.ok(even.warnings.some((w) => /no majority/.test(w)));
});

test('dns bootstrap: SRV and A records, members advertise their DNS names, no --initial-cluster', () => {
  const p = buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { mode: 'dns', dnsDomain: 'Lab.Example.com.' } }), v34, 'tok');
  assert.equal(p.bootstrap.mode, 'dns');
  if (p.bootstrap.mode !== 'dns') return;
  assert.equal(p.bootstrap.domain, 'lab.example.com');
  assert.deepEqual(p.bootstrap.srv.filter((r) => r.name.startsWith('_etcd-server.')).map((r) => `${r.target}:${r.port}`),
    ['m1.lab.example.com:2380', 'm2.lab.example.com:2380', 'm3.lab.example.com:2380']);
  assert.deepEqual(p.bootstrap.addresses[0], { name: 'm1.lab.example.com', type: 'A', address: '10.0.1.10' });
  const m1 = p.members[0]!;
  assert.equal(arg(m1.args, '--discovery-srv'), 'lab.example.com');
  assert.equal(arg(m1.args, '--initial-cluster'), undefined);
  assert.equal(arg(m1.args, '--initial-advertise-peer-urls'), 'http://m1.lab.example.com:2380');
  assert.equal(arg(m1.args, '--listen-peer-urls'), 'http://10.0.1.10:2380');
  assert.ok(p.warnings.some((w) => /3\.4\.23 fails a DNS bootstrap without TLS/.test(w)));
  // TLS uses the -ssl services and puts the DNS names into the certificates.
  const t = buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { tls: true, bootstrap: { mode: 'dns', dnsDomain: 'lab.example.com' } }), v34, 'tok');
  assert.ok(t.bootstrap.mode === 'dns' && t.bootstrap.srv.every((r) => r.name.includes('-ssl.')));
  assert.deepEqual(t.members[0]!.sans, ['IP:127.0.0.1', 'DNS:localhost', 'IP:10.0.1.10', 'DNS:m1.lab.example.com', 'DNS:lab.example.com']);
});

test('dns bootstrap without a domain, or with a bad one, is refused', () => {
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { mode: 'dns' } }), v34, 't'), 'USAGE', /needs the domain/);
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { mode: 'dns', dnsDomain: 'no domain' } }), v34, 't'), 'USAGE', /not a domain name/);
});

test('discovery bootstrap: the v2 URL on 3.4/3.5, v3 token and endpoints on 3.6', () => {
  const b = { mode: 'discovery' as const, discoveryEndpoints: ['http://10.0.1.5:2379/'] };
  const p34 = buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: b }), v34, 'tok-1');
  assert.deepEqual(p34.bootstrap, {
    mode: 'discovery', protocol: 'v2', token: 'tok-1', size: 3,
    url: 'http://10.0.1.5:2379/v2/keys/_etcd/registry/tok-1', sizeURL: 'http://10.0.1.5:2379/v2/keys/_etcd/registry/tok-1/_config/size',
  });
  assert.equal(arg(p34.members[0]!.args, '--discovery'), 'http://10.0.1.5:2379/v2/keys/_etcd/registry/tok-1');
  assert.equal(arg(p34.members[0]!.args, '--initial-cluster'), undefined);
  const p36 = buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { ...b, discoveryToken: 'other' } }), v36, 'tok-1');
  assert.equal(p36.bootstrap.mode === 'discovery' && p36.bootstrap.protocol === 'v3' ? p36.bootstrap.sizeKey : '', '/_etcd/registry/other/_config/size');
  assert.equal(arg(p36.members[0]!.args, '--discovery-token'), 'other');
  assert.equal(arg(p36.members[0]!.args, '--discovery-endpoints'), 'http://10.0.1.5:2379');
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { mode: 'discovery' } }), v36, 't'), 'USAGE', /needs the client URLs/);
  refused(() => buildHostsPlan(spec('10.0.1.10,10.0.1.11,10.0.1.12', { bootstrap: { mode: 'discovery', discoveryEndpoints: ['10.0.1.5'] } }), v36, 't'), 'USAGE', /not a client URL/);
});

test('tls: https everywhere, per-host SANs with the host\'s own address, certificates under the pki dir', () => {
  const p = buildHostsPlan(spec('10.0.1.10,10.0.1.11,etcd3.example.com', { tls: true, pkiDir: '/pki' }), v34, 'tok');
  assert.equal(p.members[1]!.peerURL, 'https://10.0.1.11:2380');
  assert.deepEqual(p.members[1]!.sans, ['IP:127.0.0.1', 'DNS:localhost', 'IP:10.0.1.11']);
  assert.deepEqual(p.members[2]!.sans, ['IP:127.0.0.1', 'DNS:localhost', 'DNS:etcd3.example.com']);
  assert.equal(arg(p.members[1]!.args, '--peer-cert-file'), '/pki/m2/peer.crt');
  assert.equal(arg(p.members[1]!.args, '--trusted-ca-file'), '/pki/ca.crt');
});

test('etcd-lab.yaml: hosts with per-host settings, bootstrap and domain', () => {
  const src = parseConfig([
    'hosts:',
    '  - 10.0.1.10',
    '  - { address: 10.0.1.11, name: db2, data-dir: /srv/etcd, client-port: 12379, peer-port: 12380 }',
    '  - address: 10.0.1.12',
    'bootstrap: dns',
    'dns-domain: lab.example.com',
  ].join('\n'));
  const r = resolveSettings({}, src);
  assert.equal(r.hosts?.bootstrap, 'dns');
  assert.equal(r.hosts?.dnsDomain, 'lab.example.com');
  assert.equal(r.hosts?.hosts[1]!.name, 'db2');
  assert.equal(r.hosts?.hosts[1]!.peerPort, 12380);
  assert.match(r.hosts?.hosts[2]!.where ?? '', /^etcd-lab\.yaml:4:5$/);
  assert.throws(() => parseConfig('hosts:\n  - { adress: 10.0.1.10 }\n'), /etcd-lab\.yaml:2:7: unknown key "hosts\[0\]\.adress" \(did you mean "address"\?\)/);
  assert.throws(() => parseConfig('bootstrap: dsn\n'), /bootstrap must be static, discovery or dns, got "dsn" \(did you mean "dns"\?\)/);
  assert.throws(() => resolveSettings({ bootstrap: 'dns' }), /no hosts are given/);
});

test('moving a member to another host: new peer URL and data dir, same name, state existing; the others unchanged', async () => {
  const { planHostMove } = await import('../../../src/plan/hosts-move.js');
  const s = spec('10.0.1.10,10.0.1.11,10.0.1.12');
  const mv = planHostMove(s, v34, 'tok', 'm2', { address: '10.0.1.21', dataDir: '/srv/etcd' });
  assert.equal(mv.from.peerURL, 'http://10.0.1.11:2380');
  assert.deepEqual(mv.peerURLs, ['http://10.0.1.21:2380']);
  assert.equal(arg(mv.args, '--name'), 'm2');
  assert.equal(arg(mv.args, '--data-dir'), '/srv/etcd');
  assert.equal(arg(mv.args, '--listen-peer-urls'), 'http://10.0.1.21:2380');
  assert.equal(arg(mv.args, '--initial-cluster-state'), 'existing');
  assert.deepEqual(mv.plan.members[0]!.peerURL, 'http://10.0.1.10:2380');
  refused(() => planHostMove(s, v34, 'tok', 'm9', { address: '10.0.1.21' }), 'UNKNOWN_MEMBER', /no member "m9"/);
  refused(() => planHostMove(s, v34, 'tok', 'm2', { address: '10.0.1.10' }), 'BAD_HOST', /listed twice/);
  refused(() => planHostMove(s, v34, 'tok', 'm2', { address: '10.0.1.11' }), 'USAGE', /already on 10\.0\.1\.11/);
});
