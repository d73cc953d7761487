// TLS on network-namespace hosts: each host's certificate names its own address (and only its own), a client in
// another namespace verifies the server by the host's IP, a certificate presented for another host's IP is rejected,
// DNS bootstrap with TLS works on etcd 3.4, and a member moved to another host gets a certificate for its new IP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetnsCluster } from '../../src/supervisor/netns-cluster.js';
import { NETNS_PREFIX, listNetns } from '../../src/supervisor/netns.js';
import { memberTlsFiles } from '../../src/plan/tls.js';
import type { BootstrapMode } from '../../src/plan/bootstrap.js';
import { processesMentioning } from '../helpers/procs.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const skip = process.platform !== 'linux' ? 'network namespaces need Linux' : process.getuid?.() !== 0 ? 'network namespaces need root' : false;
const mine = () => listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${process.pid}-`));
const running = new Set<NetnsCluster>();

after(async () => {
  for (const c of running) await c.destroy();
  assert.deepEqual(mine(), []);
});

async function withTlsCluster(bootstrap: BootstrapMode, fn: (c: NetnsCluster) => Promise<void>, spares = 0): Promise<void> {
  const c = await NetnsCluster.start({ nodes: 3, bootstrap, etcd: { path: ETCD_PATH, version: ETCD_VERSION }, timeoutMs: 60_000, tls: true, spares });
  running.add(c);
  try {
    await fn(c);
  } finally {
    await c.destroy();
    running.delete(c);
    assert.deepEqual(mine(), [], 'namespaces removed');
    assert.deepEqual(processesMentioning(c.net.dir), [], 'no process left');
    assert.equal(existsSync(c.net.dir), false, 'run folder (certificates included) removed');
  }
}

function sans(certFile: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', certFile], { encoding: 'utf8' });
}

/** curl from a namespace host to `url` with the cluster's CA (and client certificate unless `anonymous`). */
async function curl(c: NetnsCluster, host: string, url: string, extra: string[] = [], anonymous = false) {
  const t = c.plan.tls!;
  return c.net.exec(host, ['curl', '-sS', '--max-time', '5', '--cacert', t.caFile, ...(anonymous ? [] : ['--cert', t.certFile, '--key', t.keyFile]), ...extra, url], 10_000);
}

test('TLS on namespace hosts: a certificate per host for its own IP; a client verifies each server by its IP; another host\'s certificate does not pass', { skip }, async () => {
  await withTlsCluster('static', async (c) => {
    const t = c.plan.tls!;
    for (const m of c.plan.members) {
      const text = sans(memberTlsFiles(t, m.name).certFile);
      assert.match(text, new RegExp(`IP Address:${m.address.replace(/\./g, '\\.')}(,|\\s|$)`), `${m.name}: ${text}`);
      for (const o of c.plan.members.filter((x) => x !== m)) assert.doesNotMatch(text, new RegExp(`${o.address.replace(/\./g, '\\.')}(,|\\s|$)`), `${m.name}'s cert must not name ${o.address}`);
      assert.match(sans(memberTlsFiles(t, m.name).peerCertFile), new RegExp(`IP Address:${m.address.replace(/\./g, '\\.')}`));
      assert.ok(m.clientURL.startsWith('https://') && m.peerURL.startsWith('https://'));
    }
    // From m1's host, m2 is verified by its IP (curl checks the name in the URL against the certificate).
    const ok = await curl(c, 'm1', `${c.plan.members[1]!.clientURL}/health`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"health":\s*"true"/);
    // m2's server presented as m1's address: the certificate does not name 10.77.0.11, so verification fails.
    const [a, b] = [c.plan.members[0]!, c.plan.members[1]!];
    const wrong = await curl(c, 'm3', `${a.clientURL}/health`, ['--connect-to', `${a.address}:2379:${b.address}:2379`]);
    assert.notEqual(wrong.code, 0, 'm2\'s certificate accepted for m1\'s IP');
    assert.match(wrong.stderr, /subject|match|certificate/i);
    // Without a client certificate the member refuses (--client-cert-auth).
    const anon = await curl(c, 'm1', `${b.clientURL}/v3/kv/range`, ['-X', 'POST', '-d', '{"key":"YQ=="}', '-f'], true);
    assert.notEqual(anon.code, 0, 'a client without a certificate was served');
    // etcdctl with the CA and client certificate: a write on one host is read on another.
    assert.equal((await c.put('m1', '/tls/hello', 'world')).code, 0);
    assert.equal((await c.get('m3', '/tls/hello')).stdout.trim(), 'world');
  });
});

test('DNS bootstrap with TLS forms (etcd 3.4 needs it: it asks for the _etcd-server-ssl records, which TLS plans serve); certificates name the host\'s DNS name', { skip }, async () => {
  await withTlsCluster('dns', async (c) => {
    const m = c.plan.members[0]!;
    assert.match(sans(memberTlsFiles(c.plan.tls!, m.name).certFile), new RegExp(`DNS:${m.advertiseHost.replace(/\./g, '\\.')}`));
    const ok = await curl(c, 'm2', `${m.clientURL}/health`);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

test('a member moved to another host under TLS gets a certificate for its new IP and is verified there', { skip }, async () => {
  await withTlsCluster('static', async (c) => {
    const moved = await c.moveMember('m2', 's1');
    assert.equal(moved.to, 'https://10.77.0.14:2380');
    const cert = sans(memberTlsFiles(c.plan.tls!, 'm2').certFile);
    assert.match(cert, /IP Address:10\.77\.0\.14/);
    assert.doesNotMatch(cert, /10\.77\.0\.12/);
    const ok = await curl(c, 'm1', 'https://10.77.0.14:2379/health');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await c.put('m2', '/tls/after-move', 'yes')).code, 0);
  }, 1);
});
