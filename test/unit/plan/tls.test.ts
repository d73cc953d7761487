import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, defaultSpec } from '../../../src/plan/plan.js';
import { parseConfig } from '../../../src/plan/config.js';
import { resolveSettings } from '../../../src/plan/settings.js';
import { memberSans, memberTlsFiles, rebaseTls, tlsArgs, tlsPlanOf } from '../../../src/plan/tls.js';
import type { ClusterSpec, EtcdVersion } from '../../../src/plan/types.js';

const v34: EtcdVersion = { major: 3, minor: 4, patch: 23, text: '3.4.23' };

function plan(over: Partial<ClusterSpec> = {}) {
  return buildPlan({ ...defaultSpec(), dir: '/lab', ...over }, v34, 'tok');
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

test('without tls the plan has no tls block, http URLs and no TLS flags', () => {
  const p = plan();
  assert.equal(p.tls, undefined);
  assert.ok(p.members.every((m) => m.clientURL.startsWith('http://') && m.peerURL.startsWith('http://')));
  assert.ok(p.members.every((m) => !m.args.some((a) => a.includes('cert') || a.includes('trusted-ca'))));
});

test('tls: https client and peer URLs, listen and advertise, and in the initial cluster', () => {
  const p = plan({ tls: true });
  for (const m of p.members) {
    assert.match(m.clientURL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(m.peerURL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(argValue(m.args, '--listen-client-urls'), m.clientURL);
    assert.equal(argValue(m.args, '--advertise-client-urls'), m.clientURL);
    assert.equal(argValue(m.args, '--listen-peer-urls'), m.listenPeerURL);
    assert.match(m.listenPeerURL, /^https:/);
    assert.equal(argValue(m.args, '--initial-advertise-peer-urls'), m.peerURL);
  }
  assert.equal(p.initialCluster, p.members.map((m) => `${m.name}=${m.peerURL}`).join(','));
  assert.match(p.initialCluster, /^m1=https:\/\/127\.0\.0\.1:12380,m2=https:/);
});

test('tls: every member gets its own server and peer certificate, the CA on both ports, and client-cert auth on both', () => {
  const p = plan({ tls: true });
  assert.deepEqual(p.tls, {
    dir: '/lab/pki',
    caFile: '/lab/pki/ca.crt',
    caKeyFile: '/lab/pki/ca.key',
    certFile: '/lab/pki/client.crt',
    keyFile: '/lab/pki/client.key',
    sans: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:localhost.'],
  });
  const m2 = p.members[1]!;
  assert.equal(argValue(m2.args, '--cert-file'), '/lab/pki/m2/server.crt');
  assert.equal(argValue(m2.args, '--key-file'), '/lab/pki/m2/server.key');
  assert.equal(argValue(m2.args, '--trusted-ca-file'), '/lab/pki/ca.crt');
  assert.equal(argValue(m2.args, '--peer-cert-file'), '/lab/pki/m2/peer.crt');
  assert.equal(argValue(m2.args, '--peer-key-file'), '/lab/pki/m2/peer.key');
  assert.equal(argValue(m2.args, '--peer-trusted-ca-file'), '/lab/pki/ca.crt');
  // Bare boolean flags: Go's flag package would read a following word as the next flag's name, not a value.
  for (const flag of ['--client-cert-auth', '--peer-client-cert-auth']) {
    assert.equal(m2.args.filter((a) => a === flag).length, 1, flag);
  }
  assert.deepEqual(tlsArgs(p.tls!, 'm2'), m2.args.slice(m2.args.indexOf('--cert-file'), m2.args.indexOf('--peer-client-cert-auth') + 1));
  // The user's extra args come after ours, so they can override a flag.
  const q = plan({ tls: true, extraArgs: ['--cert-file=/mine.crt'] });
  assert.ok(q.members[0]!.args.indexOf('--cert-file=/mine.crt') > q.members[0]!.args.indexOf('--peer-client-cert-auth'));
});

test('member certificate files live in a folder per member, so no name collides with ca.* or client.*', () => {
  const tls = tlsPlanOf('/lab', '127.0.0.1');
  assert.deepEqual(memberTlsFiles(tls, 'client'), {
    certFile: '/lab/pki/client/server.crt',
    keyFile: '/lab/pki/client/server.key',
    peerCertFile: '/lab/pki/client/peer.crt',
    peerKeyFile: '/lab/pki/client/peer.key',
  });
  assert.equal(tlsPlanOf('.etcd-lab', '127.0.0.1').caFile, '.etcd-lab/pki/ca.crt');
});

test('certificates cover the host members listen on', () => {
  assert.deepEqual(memberSans('127.0.0.1'), ['IP:127.0.0.1', 'DNS:localhost', 'DNS:localhost.']);
  assert.deepEqual(memberSans('localhost'), ['IP:127.0.0.1', 'DNS:localhost', 'DNS:localhost.']);
  assert.deepEqual(memberSans('192.168.1.20').at(-1), 'IP:192.168.1.20');
  assert.deepEqual(memberSans('::1').at(-1), 'IP:::1');
  assert.deepEqual(memberSans('lab.example').at(-1), 'DNS:lab.example');
  const p = plan({ tls: true, host: '192.168.1.20' });
  assert.ok(p.tls!.sans.includes('IP:192.168.1.20'));
  // With client certificates required, a public host is not "reachable with no authentication".
  assert.ok(!p.warnings.some((w) => w.includes('no authentication')));
  assert.ok(plan({ host: '192.168.1.20' }).warnings.some((w) => w.includes('no authentication')));
});

test('chaos + tls: peers advertised on localhost. over https, and Go is pointed at the proxy with HTTPS_PROXY', () => {
  const p = plan({ tls: true, chaos: true });
  for (const m of p.members) {
    assert.match(m.peerURL, /^https:\/\/localhost\.:\d+$/);
    assert.match(m.listenPeerURL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(m.env, { HTTPS_PROXY: `http://127.0.0.1:${m.proxyPort}` });
  }
  assert.deepEqual(plan({ chaos: true }).members[0]!.env, { HTTP_PROXY: `http://127.0.0.1:${plan({ chaos: true }).members[0]!.proxyPort}` });
  // A member's gRPC gateway dials its own client URL: a non-loopback host must not go through the proxy.
  assert.equal(plan({ tls: true, chaos: true, host: '192.168.1.20' }).members[0]!.env.NO_PROXY, '192.168.1.20');
});

test('tls in etcd-lab.yaml and in flags', () => {
  const src = parseConfig('tls: true\nnodes: 3\n');
  assert.equal(src.values.tls, true);
  assert.equal(resolveSettings({}, src).spec.tls, true);
  assert.equal(resolveSettings({}, parseConfig('tls: false\n')).spec.tls, undefined);
  assert.equal(resolveSettings({ tls: true }).spec.tls, true);
  assert.equal(resolveSettings({}).spec.tls, undefined);
  assert.throws(() => parseConfig('tls: yes please\n', 'lab.yaml'), /lab\.yaml:1:6: tls must be true or false/);
});

test('rebaseTls: the same files under another folder (certificates made locally for hosts that keep them elsewhere)', () => {
  const onHosts = { dir: '/etc/etcd/pki', caFile: '/etc/etcd/pki/ca.crt', caKeyFile: '/etc/etcd/pki/ca.key', certFile: '/etc/etcd/pki/client.crt', keyFile: '/etc/etcd/pki/client.key', sans: ['IP:127.0.0.1'] };
  const local = rebaseTls(onHosts, '/tmp/out/pki');
  assert.deepEqual(local, { dir: '/tmp/out/pki', caFile: '/tmp/out/pki/ca.crt', caKeyFile: '/tmp/out/pki/ca.key', certFile: '/tmp/out/pki/client.crt', keyFile: '/tmp/out/pki/client.key', sans: ['IP:127.0.0.1'] });
  assert.equal(memberTlsFiles(local, 'm2').certFile, '/tmp/out/pki/m2/server.crt');
});
