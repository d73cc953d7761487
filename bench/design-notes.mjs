// Figures for README "Design notes": each a median of 20 fresh node processes (NODE_EXTRA_CA_CERTS unset), variants
// interleaved so that load on the machine hits all alike. Run from the repo root after `npm run build`:
// `node bench/design-notes.mjs`. A package that is not installed (execa, extra-typings: removed) is skipped.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const N = Number(process.env.ROUNDS ?? 20);
const med = (a) => { const s = [...a].sort((x, y) => x - y); return (s[(N - 1) >> 1] + s[N >> 1]) / 2; };
function wall(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  return r.status === 0 ? performance.now() - t0 : NaN;
}
function inproc(spec) {
  const code = `const {performance}=await import('node:perf_hooks');const t0=performance.now();${spec};console.log(performance.now()-t0)`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}
const wallRuns = {
  'node -e 0': ['-e', '0'],
  "node -e \"import('execa')\"": ['-e', "import('execa')"],
  "node -e \"import('@commander-js/extra-typings')\"": ['-e', "import('@commander-js/extra-typings')"],
  'etcd-lab --version': ['dist/cli/launch.cjs', '--version'],
};
const importRuns = {
  'import execa': "await import('execa')",
  'import commander': "await import('commander')",
  'import @commander-js/extra-typings': "await import('@commander-js/extra-typings')",
  'import etcd3 (grpc-js)': "await import('etcd3')",
  'import dist/etcd/client.js (JSON gateway client)': "await import('./dist/etcd/client.js')",
  'import supervisor+chaos+check+report up front': "await Promise.all(['./dist/supervisor/supervisor.js','./dist/chaos/local-lab.js','./dist/chaos/runner.js','./dist/check/linearizability.js','./dist/report/html.js'].map((m)=>import(m)))",
};
const psRun = () => { const t0 = performance.now(); spawnSync('ps', ['-o', 'pid', '--no-headers', '--ppid', String(process.pid)], { stdio: 'ignore' }); return performance.now() - t0; };
const killRun = () => { const t0 = performance.now(); try { process.kill(-999999, 0); } catch {} return performance.now() - t0; };
const t = {};
const add = (k, v) => (t[k] ??= []).push(v);
for (let i = 0; i < N; i++) {
  for (const [k, a] of Object.entries(wallRuns)) add(`wall: ${k}`, wall(a));
  for (const [k, s] of Object.entries(importRuns)) add(k, inproc(s));
  add('ps --ppid (what tree-kill runs per process, Linux)', psRun());
  add('kill(-pgid) (one signal to a process group)', killRun());
}
for (const [k, a] of Object.entries(t)) if (a.some(Number.isNaN)) console.log(`${k.padEnd(62)} (not installed or failed)`); else console.log(`${k.padEnd(62)} median ${med(a).toFixed(2).padStart(8)} ms   min ${Math.min(...a).toFixed(2).padStart(8)} ms`);
