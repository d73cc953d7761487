import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseAllDocuments } from 'yaml';
import { buildHostsPlan, parseHostsOption, type HostsSpec } from '../../../../src/plan/hosts.js';
import { systemdExport, systemdWord } from '../../../../src/plan/export/systemd.js';
import { commonSubnet, composeFile } from '../../../../src/plan/export/compose.js';
import { DEFAULT_KUBERNETES_NAMES, kubernetesHosts, kubernetesManifest, serviceDomain } from '../../../../src/plan/export/kubernetes.js';
import type { EtcdVersion } from '../../../../src/plan/types.js';
import { expandK8s } from '../../../helpers/k8s-expand.js';

const v35: EtcdVersion = { major: 3, minor: 5, patch: 30, text: '3.5.30' };
const base: Omit<HostsSpec, 'hosts'> = { allowEven: false, namePrefix: 'm', dataDir: '/var/lib/etcd', profile: 'default', extraArgs: [], bootstrap: { mode: 'static' } };
const plan = buildHostsPlan({ ...base, hosts: parseHostsOption('10.0.1.10,10.0.1.11,10.0.1.12') }, v35, 'tok');
const opts = { etcdPath: '/usr/local/bin/etcd', generator: 'test' };

/** systemd's own splitting of an ExecStart= line (quotes, backslash escapes, %% and $$), for what we emit. */
function splitExecStart(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const w = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
    words.push(w.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}

test('systemd: a unit per host, Type=notify, restarted on failure, ExecStart is exactly the member\'s command', () => {
  const files = systemdExport(plan, opts);
  assert.deepEqual(files.map((f) => f.path), ['etcd-m1.service', 'etcd-m2.service', 'etcd-m3.service']);
  for (const [i, f] of files.entries()) {
    assert.match(f.text, /^Type=notify$/m);
    assert.match(f.text, /^Restart=on-failure$/m);
    const exec = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(f.text)![1]!.replace(/\\\n/g, ' ');
    assert.deepEqual(splitExecStart(exec), ['/usr/local/bin/etcd', ...plan.members[i]!.args]);
  }
});

test('systemd words: %, $ and spaces survive systemd\'s parsing', () => {
  for (const w of ['100%', '$HOME', 'a b', 'say "hi"', 'back\\slash', '--x=1']) {
    assert.deepEqual(splitExecStart(systemdWord(w)), [w]);
  }
});

test('compose: a service per member with the version\'s image, its host address, its volume and a healthcheck', () => {
  const doc = parse(composeFile(plan, opts));
  assert.deepEqual(Object.keys(doc.services), ['m1', 'm2', 'm3']);
  const m2 = doc.services.m2;
  assert.equal(m2.image, 'gcr.io/etcd-development/etcd:v3.5.30');
  assert.deepEqual(m2.command, ['/usr/local/bin/etcd', ...plan.members[1]!.args]);
  assert.equal(m2.networks.etcd.ipv4_address, '10.0.1.11');
  assert.deepEqual(m2.volumes, ['m2-data:/var/lib/etcd']);
  assert.deepEqual(m2.healthcheck.test, ['CMD', '/usr/local/bin/etcdctl', '--endpoints=http://127.0.0.1:2379', 'endpoint', 'health']);
  assert.deepEqual(Object.keys(doc.volumes), ['m1-data', 'm2-data', 'm3-data']);
  assert.deepEqual(doc.networks.etcd.ipam.config, [{ subnet: '10.0.1.0/24' }]);
  assert.equal(parse(composeFile(plan, { ...opts, registry: 'quay' })).services.m1.image, 'quay.io/coreos/etcd:v3.5.30');
  assert.equal(commonSubnet(['10.0.1.10', '10.0.2.10']), '10.0.0.0/22');
});

for (const mode of ['static', 'dns'] as const) {
  test(`kubernetes (${mode}): each pod's args, expanded as Kubernetes does for its name, are the plan's member's`, () => {
    const k = DEFAULT_KUBERNETES_NAMES;
    const n = 5;
    const kplan = buildHostsPlan({
      ...base,
      hosts: kubernetesHosts(n, k),
      bootstrap: mode === 'dns' ? { mode: 'dns', dnsDomain: serviceDomain(k) } : { mode: 'static' },
    }, v35, 'tok');
    const docs = parseAllDocuments(kubernetesManifest(kplan, k, opts)).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => d.kind), ['Service', 'StatefulSet', 'PodDisruptionBudget']);
    const [svc, sts, pdb] = docs;
    assert.equal(svc.spec.clusterIP, 'None');
    assert.equal(svc.spec.publishNotReadyAddresses, true);
    // The SRV records of a headless Service are _<port name>._tcp.<service domain>: the names etcd asks for.
    assert.deepEqual(svc.spec.ports.map((p: { name: string }) => p.name), ['etcd-client', 'etcd-server']);
    assert.equal(sts.spec.replicas, n);
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    assert.equal(pdb.spec.minAvailable, 3);
    const c = sts.spec.template.spec.containers[0];
    assert.deepEqual(c.env, [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    for (let i = 0; i < n; i++) {
      const env = { POD_NAME: `${sts.metadata.name}-${i}` };
      const argv = [...c.command, ...c.args].map((a: string) => expandK8s(a, env));
      assert.deepEqual(argv, ['/usr/local/bin/etcd', ...kplan.members[i]!.args], `pod ${i}`);
    }
  });
}

test('the k8s expansion helper follows Kubernetes\' rules', () => {
  assert.equal(expandK8s('a$(X)b$(Y)c$$(X)', { X: '1' }), 'a1b$(Y)c$(X)');
});
