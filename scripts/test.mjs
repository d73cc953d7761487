// Runs the test files with node:test. Node 20 does not expand globs, so the files are listed here.
// Usage: node scripts/test.mjs [--built] [unit|e2e|FILE...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.(ts|mts)$/.test(entry)) out.push(p);
  }
  return out.sort();
}

// --built: the CLI tests run the package's bin as built (dist/cli/launch.cjs) instead of src/ through tsx.
const built = process.argv.includes('--built');
const args = process.argv.slice(2).filter((a) => a !== '--built');
let files;
if (args.length === 0) files = [...walk('test/unit'), ...walk('test/e2e'), ...walk('examples').filter((f) => f.endsWith('.test.ts'))];
else if (args[0] === 'unit' || args[0] === 'e2e') files = walk(join('test', args[0]));
else files = args;

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: built ? { ...process.env, ETCD_LAB_TEST_CLI: 'dist' } : process.env },
);
process.exit(r.status ?? 1);
