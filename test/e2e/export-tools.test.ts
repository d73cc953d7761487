// The exports, checked by tools no one here wrote: systemd-analyze verify, Debian's docker-compose config, and
// kubectl decoding the manifests offline (no API server runs here: `kubectl apply --dry-run=client` needs one for
// its REST mapping, so `--local` commands decode the objects instead). Each check is also shown to fail on a broken file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { expandK8s } from '../helpers/k8s-expand.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-lab-export-'));
after(() => rmSync(root, { recursive: true, force: true }));
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { timeout: 20000 }).status === 0;
const HOSTS = '10.77.0.11,10.77.0.12,10.77.0.13';

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60000, env: { ...process.env, KUBECONFIG: '/dev/null' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function exportTo(format: string, extra: string[]): Promise<string> {
  const dir = join(root, `${format}-${extra.join('').replace(/[^a-z0-9]/g, '')}`);
  const r = await runCli(['export', '--format', format, '-o', dir, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

test('systemd: every unit passes systemd-analyze verify; a broken one does not', { skip: !has('systemd-analyze', ['--version']) && 'no systemd-analyze' }, async () => {
  const dir = await exportTo('systemd', ['--hosts', HOSTS, '--etcd-version', '3.5.30', '--etcd-path', '/usr/bin/etcd']);
  const units = readdirSync(dir).sort();
  assert.deepEqual(units, ['etcd-m1.service', 'etcd-m2.service', 'etcd-m3.service']);
  const ok = run('systemd-analyze', ['verify', ...units.map((u) => `./${u}`)], dir);
  assert.equal(ok.code, 0, ok.out);
  assert.equal(ok.out.trim(), '');
  writeFileSync(join(dir, 'etcd-m1.service'), readFileSync(join(dir, 'etcd-m1.service'), 'utf8').replace('Type=notify', 'Type=notifyy'));
  const bad = run('systemd-analyze', ['verify', './etcd-m1.service'], dir);
  assert.match(bad.out, /Failed to parse service type|notifyy/);
});

test('compose: docker-compose config accepts the file and resolves each service; a broken one is refused', { skip: !has('docker-compose', ['version']) && 'no docker-compose' }, async () => {
  const dir = await exportTo('compose', ['--hosts', HOSTS, '--etcd-version', '3.6.14']);
  const ok = run('docker-compose', ['-f', 'compose.yaml', 'config', '--services'], dir);
  assert.equal(ok.code, 0, ok.out);
  assert.deepEqual(ok.out.trim().split('\n').sort(), ['m1', 'm2', 'm3']);
  const full = run('docker-compose', ['-f', 'compose.yaml', 'config'], dir);
  assert.equal(full.code, 0, full.out);
  assert.match(full.out, /image: gcr\.io\/etcd-development\/etcd:v3\.6\.14/);
  assert.match(full.out, /ipv4_address: 10\.77\.0\.12/);
  writeFileSync(join(dir, 'compose.yaml'), readFileSync(join(dir, 'compose.yaml'), 'utf8').replace('retries: 5', 'retries: five'));
  const bad = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], dir);
  assert.notEqual(bad.code, 0, bad.out);
});

for (const bootstrap of ['static', 'dns']) {
  test(`kubernetes (${bootstrap}): kubectl decodes the Service, StatefulSet and PDB offline; a mistyped field is refused`, { skip: !has('kubectl', ['version', '--client']) && 'no kubectl' }, async () => {
    const dir = await exportTo('kubernetes', ['-n', '5', '--etcd-version', '3.6.14', '--bootstrap', bootstrap]);
    const names = run('kubectl', ['annotate', '--local', '-f', 'etcd.yaml', '-o', 'name', 'checked=yes'], dir);
    assert.equal(names.code, 0, names.out);
    assert.deepEqual(names.out.trim().split('\n'), ['service/etcd', 'statefulset.apps/etcd', 'poddisruptionbudget.policy/etcd']);
    // Typed decoding of the pod template (fields of the wrong type fail here).
    const typed = run('kubectl', ['set', 'resources', '--local', '-f', 'etcd.yaml', '-c', 'etcd', '--requests=cpu=100m', '-o', 'yaml'], dir);
    assert.match(typed.out, /kind: StatefulSet[\s\S]*cpu: 100m/);
    writeFileSync(join(dir, 'etcd.yaml'), readFileSync(join(dir, 'etcd.yaml'), 'utf8').replace('replicas: 5', 'replicas: "five"'));
    const bad = run('kubectl', ['set', 'resources', '--local', '-f', 'etcd.yaml', '-c', 'etcd', '--requests=cpu=100m', '-o', 'yaml'], dir);
    assert.match(bad.out, /cannot unmarshal string into Go struct field .*replicas/);
  });
}

/** The flag values of a unit's ExecStart (one `--flag value` per line). */
function unitFlag(unit: string, flag: string): string {
  const m = new RegExp(`${flag} (\\S+)`).exec(unit);
  assert.ok(m, `${flag} in the unit`);
  return m[1]!;
}

test('systemd --tls: units pass systemd-analyze verify and name files the export wrote in pki/: a CA, per host a certificate for its own IP', { skip: !has('systemd-analyze', ['--version']) && 'no systemd-analyze' }, async () => {
  const dir = await exportTo('systemd', ['--tls', '--hosts', HOSTS, '--etcd-version', '3.5.30', '--etcd-path', '/usr/bin/etcd']);
  const units = readdirSync(dir).filter((f) => f.endsWith('.service')).sort();
  const ok = run('systemd-analyze', ['verify', ...units.map((u) => `./${u}`)], dir);
  assert.equal(ok.code, 0, ok.out);
  const local = (hostPath: string) => join(dir, 'pki', hostPath.replace(/^\/etc\/etcd\/pki\//, ''));
  HOSTS.split(',').forEach((ip, i) => {
    const unit = readFileSync(join(dir, `etcd-m${i + 1}.service`), 'utf8');
    assert.match(unit, new RegExp(`--advertise-client-urls https://${ip}:2379`));
    for (const flag of ['--cert-file', '--key-file', '--peer-cert-file', '--peer-key-file', '--trusted-ca-file']) {
      assert.ok(existsSync(local(unitFlag(unit, flag))), `${flag} ${unitFlag(unit, flag)} was exported`);
    }
    for (const flag of ['--cert-file', '--peer-cert-file']) {
      const cert = local(unitFlag(unit, flag));
      const v = run('openssl', ['verify', '-CAfile', local(unitFlag(unit, '--trusted-ca-file')), cert], dir);
      assert.equal(v.code, 0, v.out);
      // openssl checks the certificate names this host's IP (and that it does not name the next host's).
      assert.equal(run('openssl', ['x509', '-noout', '-in', cert, '-checkip', ip], dir).out.includes('does match'), true);
      const other = HOSTS.split(',')[(i + 1) % 3]!;
      assert.match(run('openssl', ['x509', '-noout', '-in', cert, '-checkip', other], dir).out, /does NOT match/);
    }
    assert.equal(statSync(local(unitFlag(unit, '--key-file'))).mode & 0o077, 0, 'keys are private');
  });
  // Exported again without --force: refused, the certificates kept as they were.
  const ca = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
  const again = await runCli(['export', '--format', 'systemd', '--tls', '--hosts', HOSTS, '--etcd-version', '3.5.30', '-o', dir]);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /pki already exists/);
  assert.equal(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'), ca);
});

test('compose --tls: docker-compose config accepts it; the services mount the exported pki/ where their flags look', { skip: !has('docker-compose', ['version']) && 'no docker-compose' }, async () => {
  const dir = await exportTo('compose', ['--tls', '--hosts', HOSTS, '--etcd-version', '3.6.14']);
  const full = run('docker-compose', ['-f', 'compose.yaml', 'config'], dir);
  assert.equal(full.code, 0, full.out);
  // docker-compose resolves ./pki to the exported folder, mounted read-only at /etc/etcd/pki.
  assert.match(full.out, new RegExp(`source: ${join(dir, 'pki').replace(/\//g, '\\/')}[\\s\\S]*?target: /etc/etcd/pki[\\s\\S]*?read_only: true|${join(dir, 'pki')}:/etc/etcd/pki:ro`));
  assert.match(full.out, /--cert-file[\s\S]*?\/etc\/etcd\/pki\/m2\/server\.crt/);
  assert.ok(existsSync(join(dir, 'pki', 'm2', 'server.crt')));
  assert.match(run('openssl', ['x509', '-noout', '-in', join(dir, 'pki', 'm2', 'server.crt'), '-checkip', '10.77.0.12'], dir).out, /does match/);
});

test('kubernetes --tls: a Secret with the CA and each pod\'s certificates; kubectl decodes it; every pod\'s expanded flags name a file the Secret mounts, whose certificate names that pod', { skip: !has('kubectl', ['version', '--client']) && 'no kubectl' }, async () => {
  const dir = await exportTo('kubernetes', ['-n', '3', '--tls', '--etcd-version', '3.6.14']);
  const names = run('kubectl', ['annotate', '--local', '-f', 'etcd.yaml', '-o', 'name', 'checked=yes'], dir);
  assert.equal(names.code, 0, names.out);
  assert.deepEqual(names.out.trim().split('\n'), ['secret/etcd-pki', 'service/etcd', 'statefulset.apps/etcd', 'poddisruptionbudget.policy/etcd']);
  const docs = parseAllDocuments(readFileSync(join(dir, 'etcd.yaml'), 'utf8')).map((d) => d.toJS());
  const secret = docs.find((d) => d.kind === 'Secret');
  const sts = docs.find((d) => d.kind === 'StatefulSet');
  const pod = sts.spec.template.spec;
  const c = pod.containers[0];
  const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'pki');
  assert.equal(mount.mountPath, '/etc/etcd/pki');
  const items = pod.volumes.find((v: { name: string }) => v.name === 'pki').secret.items as { key: string; path: string }[];
  // The probes cannot present a client certificate: they use /health on the plain-HTTP metrics port.
  assert.equal(c.readinessProbe.httpGet.port, 2381);
  assert.ok(c.args.includes('http://0.0.0.0:2381'));
  for (let i = 0; i < 3; i++) {
    const args = c.args.map((a: string) => expandK8s(a, { POD_NAME: `etcd-${i}` })) as string[];
    for (const flag of ['--cert-file', '--key-file', '--peer-cert-file', '--peer-key-file', '--trusted-ca-file']) {
      const path = args[args.indexOf(flag) + 1]!;
      const rel = path.replace(/^\/etc\/etcd\/pki\//, '');
      const item = items.find((it) => it.path === rel);
      assert.ok(item, `${flag} ${path} is mounted from the Secret`);
      // What the pod reads is the file the export wrote.
      assert.equal(Buffer.from(secret.data[item.key], 'base64').toString('utf8'), readFileSync(join(dir, 'pki', rel), 'utf8'));
    }
    const cert = join(dir, 'pki', `etcd-${i}`, 'server.crt');
    assert.match(run('openssl', ['x509', '-noout', '-in', cert, '-checkhost', `etcd-${i}.etcd.default.svc.cluster.local`], dir).out, /does match/);
    assert.match(run('openssl', ['x509', '-noout', '-in', cert, '-checkhost', `etcd-${(i + 1) % 3}.etcd.default.svc.cluster.local`], dir).out, /does NOT match/);
  }
});
