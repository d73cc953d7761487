#!/usr/bin/env node
// `etcd-lab`: runs the CLI bundled in one file (dist/cli/etcd-lab.cjs, scripts/bundle.mjs) with V8's code cache; the
// background supervisor (`__supervise`) runs its own, smaller bundles instead (supervisor-first.cjs, supervisor.cjs).
// Most of a command's start-up is compiling its modules; with the cache a start compiles little (Node 22 has
// module.enableCompileCache, Node 20 does not). One cache file per bundle and command (each command compiles other
// code), in a folder of the user's cache dir that only the user can write. The name says for which bundle (its name,
// size and mtime), Node and command; V8 also checks the data itself, and a file it rejects is written again.
// ETCD_LAB_NO_COMPILE_CACHE=1 turns it off. Without the bundles (built without them) this runs dist/cli/bin.js.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module = require('node:module');
import { homedir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'etcd-lab.cjs');
const supervisorBundle = join(__dirname, 'supervisor.cjs');

/** `$XDG_CACHE_HOME/etcd-lab/compile-cache`, else under `~/.cache` (the download cache's root, see download.ts). */
function compileCacheDir(env: NodeJS.ProcessEnv): string | null {
  if (env.ETCD_LAB_NO_COMPILE_CACHE && env.ETCD_LAB_NO_COMPILE_CACHE !== '0') return null;
  const xdg = env.XDG_CACHE_HOME;
  const root = xdg && isAbsolute(xdg) ? join(xdg, 'etcd-lab') : join(env.HOME || homedir(), '.cache', 'etcd-lab');
  return join(root, 'compile-cache');
}

/**
 * The cache file's name: the bundle (name, size and mtime), Node, the architecture and the command. `stale` tells the
 * files this one replaces: the same bundle's from another build or Node, and those named before bundles had names
 * (they began with the size).
 */
function compileCacheName(file: string, bundleStat: { size: number; mtimeMs: number }, command: string | undefined): { file: string; stale: (f: string) => boolean } {
  const own = `${basename(file, '.cjs')}-`;
  const prefix = `${own}${bundleStat.size}-${Math.floor(bundleStat.mtimeMs)}-${process.version}-${process.arch}-`;
  const name = command !== undefined && /^[A-Za-z0-9_-]{1,40}$/.test(command) ? command : 'other';
  // This bundle's own files are its name then the size (a digit): `supervisor-` must not claim `supervisor-first-`.
  // A bundle a later build no longer has leaves its files behind (a few hundred KB, read by nobody).
  const mine = (f: string): boolean => f.startsWith(own) && /^\d/.test(f.slice(own.length));
  return { file: `${prefix}${name}.v8`, stale: (f) => f.endsWith('.v8') && !f.startsWith(prefix) && (mine(f) || /^\d/.test(f)) };
}

/** A folder we may trust with code: ours, and writable by nobody else. */
function trusted(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function save(dir: string, name: { file: string; stale: (f: string) => boolean }, data: Buffer): void {
  const { file } = name;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(dir)) return;
    const tmp = join(dir, `.${file}.${process.pid}.tmp`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, join(dir, file));
    // Caches of this bundle's other builds or Node versions are dead weight.
    for (const f of readdirSync(dir)) if (name.stale(f)) unlinkSync(join(dir, f));
  } catch {
    /* a cache that cannot be written costs only speed */
  }
}

function run(): void {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    // What people and scripts run cold: answered without the bundle (as bin.ts does without the command tree).
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  if (args[0] === 'up') {
    // `up -d` spawns its background supervisor first, ~45 ms before the bundle below would (early-spawn.ts).
    const early = join(__dirname, 'early-spawn.cjs');
    try {
      if (existsSync(early)) (require(early) as { spawnEarlySupervisor(a: readonly string[]): void }).spawnEarlySupervisor(args);
    } catch {
      /* the command spawns it itself */
    }
  }
  if (args.length === 1 && args[0] === '__supervise') {
    // The background supervisor's first stage (supervisor-first.ts) takes the start request and spawns the members;
    // then the rest of the supervisor loads, from its own bundle (supervise.ts, a fifth of the CLI's) when built.
    const first = join(__dirname, 'supervisor-first.cjs');
    const rest = existsSync(supervisorBundle) ? supervisorBundle : bundle;
    if (existsSync(first) && existsSync(rest)) {
      (require(first) as { runFirstStage(loadRest: () => void): void }).runFirstStage(() => runBundle(rest, args));
    } else runBundle(rest, args);
    return;
  }
  runBundle(bundle, args);
}

function runBundle(bundle: string, args: readonly string[]): void {
  if (!existsSync(bundle)) {
    void import(pathToFileURL(join(__dirname, 'bin.js')).href);
    return;
  }
  const source = readFileSync(bundle, 'utf8');
  const dir = compileCacheDir(process.env);
  const name = compileCacheName(bundle, statSync(bundle), args[0]);
  let cached: Buffer | undefined;
  if (dir !== null && trusted(dir)) {
    try {
      cached = readFileSync(join(dir, name.file));
    } catch {
      /* none yet */
    }
  }
  // `//` keeps the shebang's line, so line numbers in stack traces stay the bundle's.
  const script = new Script(Module.wrap(source.startsWith('#!') ? `//${source.slice(2)}` : source), {
    filename: bundle,
    ...(cached ? { cachedData: cached } : {}),
  });
  if (dir !== null && (cached === undefined || script.cachedDataRejected === true)) {
    // At exit the cache holds every function this command compiled, not only the top level.
    process.once('exit', () => save(dir, name, script.createCachedData()));
  }
  const mod = { exports: {} };
  const main = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  main.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
}

run();
