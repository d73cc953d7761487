import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildPlan, defaultSpec } from '../../../src/plan/plan.js';
import { envSourceOf, renderEnv, renderEtcdUrl, renderJsonEnv, renderShellEnv, tlsOfPlan, type EnvSource } from '../../../src/cli/render-env.js';
import type { ClusterPlan } from '../../../src/plan/types.js';

const V34 = { major: 3, minor: 4, patch: 23, text: '3.4.23' };
const plan = buildPlan(defaultSpec(), V34, 'tok');
const src = envSourceOf(plan);
const tls: EnvSource = {
  endpoints: ['https://127.0.0.1:2379', 'https://127.0.0.1:22379'],
  tls: { caFile: '/pki/ca.pem', certFile: '/pki/my client.pem', keyFile: '/pki/client-key.pem' },
};

test('the shell format is the export line up prints, for the plan members in order', () => {
  assert.deepEqual(src, { endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379', 'http://127.0.0.1:32379'], tls: null });
  assert.equal(renderShellEnv(src), 'export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379\n');
  assert.equal(renderEnv(src, 'shell'), renderShellEnv(src));
});

test('the shell format quotes what sh would split, and sh reads back the same values', () => {
  const text = renderShellEnv(tls);
  assert.match(text, /ETCDCTL_CERT='\/pki\/my client.pem'/);
  const out = execFileSync('sh', ['-c', `eval "$1"; printf '%s|%s|%s|%s|%s' "$ETCDCTL_API" "$ETCDCTL_ENDPOINTS" "$ETCDCTL_CACERT" "$ETCDCTL_CERT" "$ETCDCTL_KEY"`, 'sh', text], { encoding: 'utf8' });
  assert.equal(out, '3|https://127.0.0.1:2379,https://127.0.0.1:22379|/pki/ca.pem|/pki/my client.pem|/pki/client-key.pem');
});

test('the json format has the etcdctl variables and the endpoint list', () => {
  assert.deepEqual(JSON.parse(renderJsonEnv(src)), {
    ETCDCTL_API: '3',
    ETCDCTL_ENDPOINTS: 'http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379',
    endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379', 'http://127.0.0.1:32379'],
  });
  assert.equal(JSON.parse(renderEnv(tls, 'json')).ETCDCTL_KEY, '/pki/client-key.pem');
});

test('the etcd-url format lists host:port of every member, then the keyspace path', () => {
  assert.equal(renderEtcdUrl(src), 'etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379/\n');
  assert.equal(renderEnv(src, 'etcd-url', { keyspace: 'myapp' }), 'etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379/myapp\n');
  assert.equal(renderEtcdUrl(src, '/my app//conf/'), 'etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379/my%20app/conf\n');
  assert.equal(renderEtcdUrl({ endpoints: ['http://[::1]:2379', 'http://localhost'], tls: null }), 'etcd://[::1]:2379,localhost:80/\n');
});

test('under TLS the etcd-url carries the certificate files as query parameters', () => {
  assert.equal(
    renderEtcdUrl(tls, 'k'),
    'etcd://127.0.0.1:2379,127.0.0.1:22379/k?certFile=%2Fpki%2Fmy%20client.pem&keyFile=%2Fpki%2Fclient-key.pem&caFile=%2Fpki%2Fca.pem\n',
  );
});

test('a plan gives TLS settings only through a well-formed pki field', () => {
  assert.equal(tlsOfPlan(plan), null);
  const withPki = { ...plan, pki: { caFile: 'a', certFile: 'b', keyFile: 'c', other: 1 } } as ClusterPlan;
  assert.deepEqual(tlsOfPlan(withPki), { caFile: 'a', certFile: 'b', keyFile: 'c' });
  assert.equal(tlsOfPlan({ ...plan, pki: { caFile: 'a' } } as ClusterPlan), null);
  assert.equal(tlsOfPlan({ ...plan, pki: 'yes' } as ClusterPlan), null);
  assert.deepEqual(envSourceOf(withPki).tls, { caFile: 'a', certFile: 'b', keyFile: 'c' });
});

test('an unknown format and a plan without members are refused', () => {
  assert.throws(() => renderEnv(src, 'yaml' as never), { code: 'USAGE' });
  assert.throws(() => renderEnv({ endpoints: [], tls: null }, 'shell'), { code: 'INTERNAL' });
});
