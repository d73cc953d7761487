// The layers point one way: plan <- etcd <- supervisor <- chaos <- cli (HELPERS.md, README "Design notes").
// src/check and src/report are pure: they import only plan, errors and each other, and only chaos and above use
// them. A command module imports no other command module. Every import in src/ is read, static and dynamic,
// types included; a failure names each file -> file against the direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Rank of each layer; a file may import its own rank or lower. */
const RANK: Record<string, number> = { plan: 0, etcd: 1, supervisor: 2, chaos: 3, cli: 4 };
/** Files at the top of src/: where each sits. */
const TOP_FILES: Record<string, string> = {
  'errors.ts': 'base',
  'start-trace.ts': 'base',
  'prepare.ts': 'supervisor',
  'prepare-hosts.ts': 'supervisor',
  'templates.ts': 'plan',
  'launch-lab.ts': 'cli',
  'start-cluster.ts': 'cli',
  'index.ts': 'cli',
};
const PURE = new Set(['check', 'report']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.c?ts$/.test(e.name) ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  if (rel.length === 1) {
    const l = TOP_FILES[rel[0]!];
    if (!l) throw new Error(`src/${rel[0]} sits in no layer: add it to TOP_FILES in this test`);
    return l;
  }
  return rel[0]!;
}

/** Every relative import of a file (static, dynamic, type-only, side-effect), resolved to a .ts path. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of text.matchAll(re)) out.push(resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts'));
  return out;
}

/** Why `from` may not import `to`, or null when it may. */
function violation(from: string, to: string): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  if (b === 'base') return null;
  if (a === 'base') return 'errors.ts imports nothing';
  if (PURE.has(a)) return PURE.has(b) || b === 'plan' ? null : `${a} is pure: it imports only plan, check, report and errors`;
  if (PURE.has(b)) return RANK[a]! >= RANK.chaos! ? null : `${b} is for chaos and cli, not ${a}`;
  if (RANK[b]! > RANK[a]!) return `${a} must not import ${b}`;
  const cmd = /\/cli\/commands\//;
  if (cmd.test(from) && cmd.test(to)) return 'a command module imports no other command module';
  return null;
}

test('every import in src/ points down the layers (plan <- etcd <- supervisor <- chaos <- cli)', () => {
  const all = files(SRC);
  assert.ok(all.length > 100, `read ${all.length} files`);
  const bad: string[] = [];
  for (const f of all) {
    for (const to of importsOf(f)) {
      const why = violation(f, to);
      if (why) bad.push(`src/${relative(SRC, f)} -> src/${relative(SRC, to)} (${why})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the import reader sees static, dynamic, type-only and side-effect imports', () => {
  const f = join(SRC, 'supervisor', 'x.ts');
  const text = `import { a } from '../chaos/a.js';\nimport type { B } from './b.js';\nconst c = await import('../cli/c.js');\nimport '../plan/d.js';\nexport { e } from "./e.js";\nimport x from 'node:fs';`;
  assert.deepEqual(
    importsOf(f, text).map((p) => relative(SRC, p)),
    ['chaos/a.ts', 'supervisor/b.ts', 'cli/c.ts', 'plan/d.ts', 'supervisor/e.ts'],
  );
  assert.match(violation(f, join(SRC, 'chaos', 'a.ts')) ?? '', /supervisor must not import chaos/);
  assert.equal(violation(f, join(SRC, 'etcd', 'client.ts')), null);
  assert.match(violation(join(SRC, 'report', 'html.ts'), join(SRC, 'etcd', 'client.ts')) ?? '', /pure/);
  assert.match(violation(join(SRC, 'cli', 'commands', 'chaos.ts'), join(SRC, 'cli', 'commands', 'demo.ts')) ?? '', /command module/);
});
