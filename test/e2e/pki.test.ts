// The certificates of a TLS cluster, made with the real openssl CLI (no etcd here).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors.js';
import { buildPlan, defaultSpec } from '../../src/plan/plan.js';
import type { ClusterSpec } from '../../src/plan/types.js';
import { clientTlsFiles, clientTlsFor, ensurePki } from '../../src/supervisor/pki.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-lab-pki-'));
after(() => rmSync(root, { recursive: true, force: true }));

function plan(name: string, over: Partial<ClusterSpec> = {}, token = 'etcd-lab-abc') {
  return buildPlan({ ...defaultSpec(), dir: join(root, name), tls: true, ...over }, { major: 3, minor: 4, patch: 23, text: '3.4.23' }, token);
}

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

test('a CA, a client certificate and a server + peer certificate per member; keys 0600, folders 0700; all signed by the CA', async () => {
  const p = plan('a', { names: ['ca', 'client', 'm3'] }, 'odd/token=with spaces');
  const r = await ensurePki(p);
  assert.deepEqual(r.made, ['CA', 'client', 'ca', 'client', 'm3']);
  const pki = join(root, 'a', 'pki');
  assert.equal(r.dir, pki);
  assert.deepEqual(readdirSync(pki).sort(), ['ca', 'ca.crt', 'ca.key', 'client', 'client.crt', 'client.key', 'm3']);
  for (const d of ['', 'ca', 'm3']) assert.equal(statSync(join(pki, d)).mode & 0o777, 0o700, `folder ${d}`);
  for (const k of ['ca.key', 'client.key', 'ca/server.key', 'ca/peer.key', 'm3/server.key', 'm3/peer.key']) {
    assert.equal(statSync(join(pki, k)).mode & 0o777, 0o600, k);
  }
  const certs = ['client.crt', 'ca/server.crt', 'client/peer.crt', 'm3/server.crt', 'm3/peer.crt'].map((c) => join(pki, c));
  assert.equal(openssl('verify', '-CAfile', join(pki, 'ca.crt'), ...certs), certs.map((c) => `${c}: OK\n`).join(''));
  const peer = openssl('x509', '-in', join(pki, 'm3/peer.crt'), '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage');
  assert.match(peer, /CN = m3/);
  assert.match(peer, /IP Address:127\.0\.0\.1, DNS:localhost, DNS:localhost\./);
  assert.match(peer, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(openssl('x509', '-in', join(pki, 'client.crt'), '-noout', '-ext', 'extendedKeyUsage'), /TLS Web Client Authentication/);
  assert.doesNotMatch(readdirSync(join(root, 'a')).join(' '), /tmp/, 'no temporary folder is left');

  const files = clientTlsFiles(p)!;
  assert.deepEqual(files, { caFile: join(pki, 'ca.crt'), certFile: join(pki, 'client.crt'), keyFile: join(pki, 'client.key') });
  const tls = clientTlsFor(p)!;
  assert.match(String(tls.ca), /BEGIN CERTIFICATE/);
  assert.match(String(tls.key), /BEGIN PRIVATE KEY/);
});

test('made once: a second call makes nothing; a member missing a file is made again with the same CA; no CA key means a new set', async () => {
  const p = plan('b');
  await ensurePki(p);
  const pki = join(root, 'b', 'pki');
  const ca = readFileSync(join(pki, 'ca.crt'), 'utf8');
  const m1 = readFileSync(join(pki, 'm1/server.crt'), 'utf8');
  assert.deepEqual((await ensurePki(p)).made, []);
  rmSync(join(pki, 'm2/peer.key'));
  assert.deepEqual((await ensurePki(p)).made, ['m2']);
  assert.equal(readFileSync(join(pki, 'ca.crt'), 'utf8'), ca);
  assert.equal(readFileSync(join(pki, 'm1/server.crt'), 'utf8'), m1);
  assert.match(openssl('verify', '-CAfile', join(pki, 'ca.crt'), join(pki, 'm2/peer.crt')), /OK/);
  rmSync(join(pki, 'ca.key'));
  assert.deepEqual((await ensurePki(p)).made, ['CA', 'client', 'm1', 'm2', 'm3']);
  assert.notEqual(readFileSync(join(pki, 'ca.crt'), 'utf8'), ca);
  assert.match(openssl('verify', '-CAfile', join(pki, 'ca.crt'), join(pki, 'm1/server.crt')), /OK/);
});

test('a non-loopback host is in every member certificate; no plan tls, nothing to do', async () => {
  const p = plan('c', { host: '10.1.2.3', nodes: 1 });
  await ensurePki(p);
  assert.match(openssl('x509', '-in', join(root, 'c', 'pki', 'm1/server.crt'), '-noout', '-ext', 'subjectAltName'), /IP Address:10\.1\.2\.3/);
  const plain = buildPlan({ ...defaultSpec(), dir: join(root, 'd') }, { major: 3, minor: 4, patch: 23, text: '3.4.23' }, 't');
  assert.deepEqual(await ensurePki(plain), { made: [], dir: '' });
  assert.equal(clientTlsFor(plain), undefined);
  assert.equal(clientTlsFiles(plain), null);
});

test('missing files and a missing openssl are clear TLS errors', async () => {
  const p = plan('e', { nodes: 1 });
  assert.throws(() => clientTlsFor(p), (e: LabError) => {
    assert.equal(e.code, 'TLS');
    assert.match(e.message, /cannot read .*\/e\/pki\/ca\.crt: ENOENT; the cluster in .* uses TLS/);
    assert.match(e.hint!, /etcd-lab up --dir .* makes missing certificates again/);
    return true;
  });
  const path = process.env.PATH;
  process.env.PATH = join(root, 'no-such-bin');
  try {
    await assert.rejects(ensurePki(p), (e: LabError) => {
      assert.equal(e.code, 'TLS');
      assert.match(e.message, /--tls needs the openssl command .* not on PATH/);
      assert.match(e.hint!, /apt-get install openssl/);
      return true;
    });
  } finally {
    process.env.PATH = path;
  }
  assert.deepEqual(readdirSync(join(root, 'e')), [], 'a failed attempt leaves nothing behind');
});
