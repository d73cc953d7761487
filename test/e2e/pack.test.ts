// `npx etcd-lab` works for a user: pack the package, install the tarball in an empty project, run the binary.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimPorts } from '../helpers/ports.js';
import { assertNothingLeft, killIn } from '../helpers/lab-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'etcd-lab-pack-'));
const port = await claimPorts();
after(() => {
  killIn(work);
  rmSync(work, { recursive: true, force: true });
});

test('the packed tarball installs and its etcd-lab binary runs', { timeout: 240_000 }, async () => {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = join(work, out.trim().split('\n').pop()!);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const inst = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--offline', '--prefer-offline', tarball], { cwd: app, encoding: 'utf8' });
  if (inst.status !== 0) {
    // --offline needs every dependency in the npm cache; fall back to the registry.
    const again = spawnSync('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
  }
  const bin = join(app, 'node_modules', '.bin', 'etcd-lab');
  const v = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const p = spawnSync(bin, ['procfile', '-n', '3', '--skip-port-check'], { cwd: app, encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout.split('\n').filter((l) => /^m\d: /.test(l)).length, 3);
  assert.match(p.stdout, /goreman -f Procfile start/);
  const e = spawnSync(bin, ['procfile', '-n', '4', '--skip-port-check'], { cwd: app, encoding: 'utf8' });
  assert.equal(e.status, 2);
  // `up -d` from the installed package: its background supervisor runs from the package's own bundles (the cache
  // it writes is named for supervisor.cjs) and `down` leaves nothing.
  const env = { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') };
  const lab = join(app, 'lab');
  const up = spawnSync(bin, ['up', '-d', '-n', '3', '--profile', 'fast', '--dir', lab, '--ports', String(port)], { cwd: app, encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
  assert.match(up.stdout, /cluster ready in \d+ ms: 3 members/);
  const down = spawnSync(bin, ['down', '--dir', lab], { cwd: app, encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(down.status, 0, down.stderr);
  await assertNothingLeft(lab);
  const caches = join(work, 'xdg', 'etcd-lab', 'compile-cache');
  const supervisorCache = (): boolean => existsSync(caches) && readdirSync(caches).some((f) => /^supervisor-\d.*-__supervise\.v8$/.test(f));
  const deadline = Date.now() + 10_000;
  while (!supervisorCache() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(supervisorCache(), existsSync(caches) ? readdirSync(caches).join(' ') : 'no compile cache');
  // The library entry point resolves too.
  // The library entry point resolves too, and exports what the README documents.
  const lib = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "import * as m from 'etcd-lab'; console.log(JSON.stringify(['startCluster', 'EtcdClient', 'LabError', 'EtcdRequestError', 'buildPlan', 'renderProcfile'].map((k) => [k, typeof m[k]])))"],
    { cwd: app, encoding: 'utf8' },
  );
  assert.equal(lib.status, 0, lib.stderr);
  assert.deepEqual(JSON.parse(lib.stdout), [
    ['startCluster', 'function'],
    ['EtcdClient', 'function'],
    ['LabError', 'function'],
    ['EtcdRequestError', 'function'],
    ['buildPlan', 'function'],
    ['renderProcfile', 'function'],
  ]);
});
