// The version matrix: runs the end-to-end tests once per etcd version found, one version at a time, each with its
// folder first on PATH (so etcd, etcdctl and etcdutl are that release's), then prints a summary per version.
//
// Versions: the etcd on PATH, plus every subfolder of $ETCD_VERSIONS_DIR that holds an executable `etcd`
// (e.g. ~/.cache/etcd-versions/3.5.30/etcd). Exits 1 when a version fails; with CI=true also when a version
// of EXPECTED is missing.
//
// Usage: node scripts/test-versions.mjs [--suite full|version] [--skip-path]
//   --suite full      every e2e test file (the default)
//   --suite version   only the files of scripts/version-tests.json (those touching version-specific behaviour)
//   --skip-path       leave out the etcd on PATH (CI: `npm test` has just run the whole suite on it)
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const EXPECTED = ['3.5', '3.6'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const suite = arg('--suite', 'full');
const skipPath = process.argv.includes('--skip-path');
if (suite !== 'full' && suite !== 'version') {
  console.error(`test-versions: --suite must be "full" or "version", got ${JSON.stringify(suite)}`);
  process.exit(2);
}

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && executable(join(d, name))) return join(d, name);
  return null;
}

function versionOf(etcd) {
  const r = spawnSync(etcd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /^etcd\s+version:\s*v?(\d+\.\d+\.\d+\S*)/im.exec(r.stdout ?? '');
  return m ? m[1] : null;
}

const targets = [];
if (!skipPath) {
  const etcd = onPath('etcd');
  if (etcd) targets.push({ label: 'PATH', folder: null, etcd });
  else console.error('test-versions: no etcd on PATH');
}
const root = process.env.ETCD_VERSIONS_DIR;
if (root) {
  if (!existsSync(root)) {
    console.error(`test-versions: ETCD_VERSIONS_DIR=${root} does not exist`);
    process.exit(2);
  }
  for (const sub of readdirSync(root).sort()) {
    const folder = resolve(root, sub);
    if (executable(join(folder, 'etcd'))) targets.push({ label: sub, folder, etcd: join(folder, 'etcd') });
  }
}
for (const t of targets) t.version = versionOf(t.etcd);

let files = ['e2e'];
if (suite === 'version') {
  const list = JSON.parse(readFileSync(new URL('./version-tests.json', import.meta.url), 'utf8')).files;
  files = Object.keys(list);
  for (const f of files) if (!existsSync(f)) throw new Error(`scripts/version-tests.json names ${f}, which does not exist`);
}

/** Runs the tests on one version, its output passed through; resolves with its counts and wall time. */
function runOn(t) {
  const env = { ...process.env, ...(t.folder ? { PATH: `${t.folder}${delimiter}${process.env.PATH ?? ''}` } : {}) };
  delete env.ETCD_BIN;
  delete env.ETCDCTL_BIN;
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['scripts/test.mjs', '--built', ...files], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    // node:test's totals ("ℹ tests 93", "ℹ pass 92", ...) come before its list of failures: keep those lines only.
    const totals = {};
    let partial = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop();
      for (const l of lines) {
        const m = /^ℹ (tests|pass|fail|cancelled) (\d+)\s*$/.exec(l);
        if (m) totals[m[1]] = Number(m[2]);
      }
    });
    child.on('close', (code) => {
      const count = (k) => totals[k] ?? '?';
      done({ code, pass: count('pass'), fail: count('fail'), cancelled: count('cancelled'), tests: count('tests'), secs: Math.round((Date.now() - t0) / 1000) });
    });
  });
}

const rows = [];
for (const t of targets) {
  if (!t.version) {
    rows.push({ t, ok: false, note: `${t.etcd} --version printed no etcd version` });
    continue;
  }
  console.log(`\n=== etcd ${t.version} (${t.folder ?? t.etcd}): ${suite === 'full' ? 'all e2e tests' : `${files.length} version-specific e2e files`} ===\n`);
  const r = await runOn(t);
  rows.push({ t, ok: r.code === 0, note: `${r.pass}/${r.tests} passed, ${r.fail} failed, ${r.cancelled} cancelled, ${r.secs} s` });
}

const found = new Set(targets.filter((t) => t.version).map((t) => t.version.split('.').slice(0, 2).join('.')));
const missing = EXPECTED.filter((v) => !found.has(v));
console.log('\nversion matrix:');
for (const { t, ok, note } of rows) console.log(`  ${ok ? 'PASS' : 'FAIL'}  etcd ${(t.version ?? '?').padEnd(8)} ${note}  (${t.folder ?? `PATH: ${t.etcd}`})`);
if (rows.length === 0) console.log('  no etcd found');
if (missing.length > 0) console.log(`  missing: etcd ${missing.join(', ')}${process.env.CI === 'true' ? ' (required with CI=true)' : ''}`);
const failed = rows.some((r) => !r.ok) || rows.length === 0 || (process.env.CI === 'true' && missing.length > 0);
process.exit(failed ? 1 : 0);
