// The package's bin, dist/cli/launch.cjs: the bundled CLI run with V8's code cache. Needs the build (npm test builds).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimPorts } from '../helpers/ports.js';
import { assertNothingLeft, inTemp, killIn, tempDir } from '../helpers/lab-cli.js';
import { ETCD_PATH } from '../helpers/etcd-under-test.js';

const LAUNCH = fileURLToPath(new URL('../../dist/cli/launch.cjs', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/cli/etcd-lab.cjs', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const base = tempDir('etcd-lab-launch');
const port = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function launch(args: string[], opts: { cwd: string; cache: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; launcher?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: opts.cache };
    delete env.ETCD_LAB_NO_COMPILE_CACHE;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, [opts.launcher ?? LAUNCH, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcd-lab ${args.join(' ')} did not finish\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const compileCache = (cache: string): string => join(cache, 'etcd-lab', 'compile-cache');
/** A command that loads the bundle and ends at once. */
const HELP = ['plan', '--help'];
const isHelp = (r: Run): boolean => r.code === 0 && /^Usage: etcd-lab plan/.test(r.stdout);
const cacheFiles = (cache: string): string[] => (existsSync(compileCache(cache)) ? readdirSync(compileCache(cache)).sort() : []);

describe('the launcher (dist/cli/launch.cjs)', { concurrency: 2 }, () => {
  test('the build made it and the bundle', () => {
    assert.ok(existsSync(LAUNCH) && existsSync(BUNDLE), 'run `npm run build` first');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['etcd-lab'], 'dist/cli/launch.cjs');
  });

  test('--version answers without the bundle, and writes no cache', async () => {
    const cwd = tempDir('version', base);
    const cache = join(cwd, 'xdg');
    for (const flag of ['--version', '-v']) {
      const r = await launch([flag], { cwd, cache });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${VERSION}\n`);
    }
    assert.deepEqual(cacheFiles(cache), []);
  });

  test('writes one private cache file per command, and a second run uses it as it is', async () => {
    const cwd = tempDir('cache', base);
    const cache = join(cwd, 'xdg');
    const first = await launch(HELP, { cwd, cache });
    assert.ok(isHelp(first), first.stderr);
    const files = cacheFiles(cache);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0]!, /-v\d+\.\d+\.\d+-[a-z0-9]+-plan\.v8$/);
    assert.equal(statSync(compileCache(cache)).mode & 0o777, 0o700);
    const file = join(compileCache(cache), files[0]!);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const before = statSync(file);

    const second = await launch(HELP, { cwd, cache });
    assert.ok(isHelp(second), second.stderr);
    const now = statSync(file);
    // A cache V8 rejected would have been written again (a new file renamed over it).
    assert.deepEqual([now.ino, now.mtimeMs], [before.ino, before.mtimeMs]);

    const other = await launch(['init', '--help'], { cwd, cache });
    assert.equal(other.code, 0, other.stderr);
    assert.equal(cacheFiles(cache).length, 2);
    assert.ok(cacheFiles(cache).some((f) => f.endsWith('-init.v8')));
  });

  test('a damaged cache file is rejected by V8 and written again; the command runs as usual', async () => {
    const cwd = tempDir('damaged', base);
    const cache = join(cwd, 'xdg');
    await launch(HELP, { cwd, cache });
    const file = join(compileCache(cache), cacheFiles(cache)[0]!);
    const garbage = Buffer.alloc(statSync(file).size, 0x5a);
    writeFileSync(file, garbage);
    const r = await launch(HELP, { cwd, cache });
    assert.ok(isHelp(r), r.stderr);
    assert.ok(!readFileSync(file).equals(garbage), 'the damaged file was replaced');
    const again = statSync(file);
    await launch(HELP, { cwd, cache });
    assert.equal(statSync(file).mtimeMs, again.mtimeMs, 'the new file is accepted');
  });

  test('caches of another build are removed when a new one is written', async () => {
    const cwd = tempDir('stale', base);
    const cache = join(cwd, 'xdg');
    mkdirSync(compileCache(cache), { recursive: true, mode: 0o700 });
    // Named before bundles had names, and this bundle's from another build: removed.
    writeFileSync(join(compileCache(cache), '1-2-v0.0.0-x64-up.v8'), 'old');
    writeFileSync(join(compileCache(cache), 'etcd-lab-1-2-v0.0.0-x64-up.v8'), 'old');
    // Another bundle's (the supervisor's) is its own to replace.
    writeFileSync(join(compileCache(cache), 'supervisor-1-2-v0.0.0-x64-__supervise.v8'), 'other bundle');
    writeFileSync(join(compileCache(cache), 'notes.txt'), 'not ours');
    await launch(HELP, { cwd, cache });
    const files = cacheFiles(cache);
    assert.ok(!files.includes('1-2-v0.0.0-x64-up.v8'), files.join(' '));
    assert.ok(!files.includes('etcd-lab-1-2-v0.0.0-x64-up.v8'), files.join(' '));
    assert.ok(files.includes('supervisor-1-2-v0.0.0-x64-__supervise.v8'), files.join(' '));
    assert.ok(files.includes('notes.txt'), 'only .v8 files are removed');
  });

  test('no cache: with ETCD_LAB_NO_COMPILE_CACHE=1, in a folder others can write, or where nothing can be written', async () => {
    const cwd = tempDir('none', base);
    const off = join(cwd, 'off');
    const r1 = await launch(HELP, { cwd, cache: off, env: { ETCD_LAB_NO_COMPILE_CACHE: '1' } });
    assert.ok(isHelp(r1), r1.stderr);
    assert.ok(!existsSync(join(off, 'etcd-lab')));

    const open = join(cwd, 'open');
    mkdirSync(compileCache(open), { recursive: true });
    chmodSync(compileCache(open), 0o777);
    const planted = join(compileCache(open), 'planted.v8');
    writeFileSync(planted, 'x');
    const r2 = await launch(HELP, { cwd, cache: open });
    assert.ok(isHelp(r2), r2.stderr);
    assert.deepEqual(cacheFiles(open), ['planted.v8'], 'neither read nor written');

    const blocked = join(cwd, 'a-file');
    writeFileSync(blocked, '');
    const r3 = await launch(HELP, { cwd, cache: blocked });
    assert.ok(isHelp(r3), r3.stderr);
  });

  test('the bundle finds its files: the Procfile template, and the demos on a real cluster', { timeout: 90_000 }, async () => {
    const cwd = tempDir('files', base);
    const cache = join(cwd, 'xdg');
    await inTemp(cwd, async () => {
      const p = await launch(['procfile', '-n', '3', '--ports', String(port), '--skip-port-check', '--dir', join(cwd, 'lab')], { cwd, cache });
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /^# Procfile for a local etcd cluster, generated by etcd-lab/);
      // A binary found on PATH outside /usr is written as its absolute path (so the Procfile runs it, not another etcd).
      const bin = ETCD_PATH.startsWith('/usr/') ? 'etcd' : ETCD_PATH;
      assert.ok(p.stdout.split('\n').some((l) => l.startsWith(`m3: ${bin} --name m3 `)), p.stdout);
      const d = await launch(['demo', 'failover', '--ports', String(port + 10)], { cwd, cache, timeoutMs: 80_000 });
      assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
      assert.match(d.stdout, /failover: PASS/);
    });
  });

  test('SIGTERM to the background supervisor once its first stage has spawned m1: the start fails, no member is left', { timeout: 60_000 }, async () => {
    const cwd = tempDir('first-stage-signal', base);
    const cache = join(cwd, 'xdg');
    const dir = join(cwd, 'lab');
    const trace = join(cwd, 'start-trace.jsonl');
    await inTemp(cwd, async () => {
      const up = launch(['up', '-d', '-n', '3', '--profile', 'fast', '--dir', dir, '--ports', String(port + 40)], {
        cwd,
        cache,
        timeoutMs: 40_000,
        env: { ETCD_LAB_START_TRACE: trace },
      });
      // The first stage marks its spawn of m1 before the supervisor's own code (and its signal handlers) has loaded.
      let signalled: number | null = null;
      const deadline = Date.now() + 30_000;
      while (signalled === null && Date.now() < deadline) {
        const text = existsSync(trace) ? readFileSync(trace, 'utf8') : '';
        const m1 = text
          .split('\n')
          .filter((l) => l.includes('"supervisor: spawned m1"'))
          .map((l) => JSON.parse(l) as { pid: number })[0];
        if (m1) {
          process.kill(m1.pid, 'SIGTERM');
          signalled = m1.pid;
        } else await new Promise((r) => setTimeout(r, 1));
      }
      const r = await up;
      assert.ok(signalled !== null, 'the first stage never spawned m1');
      assert.notEqual(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /background supervisor exited before the cluster was ready|interrupted|stopp/, r.stderr);
      await assertNothingLeft(dir, 10_000, () => readFileSync(join(dir, 'supervisor.log'), 'utf8'));
      assert.equal(existsSync(join(dir, 'supervisor.lock')), false, 'the lock outlived the supervisor');
    });
  });

  test('up -d and down: the background supervisor runs from its own bundle, and caches its own code', { timeout: 90_000 }, async () => {
    const cwd = tempDir('up', base);
    const cache = join(cwd, 'xdg');
    const dir = join(cwd, 'lab');
    // The supervisor's bundle from another build: its own save replaces it.
    mkdirSync(compileCache(cache), { recursive: true, mode: 0o700 });
    const older = 'supervisor-1-2-v0.0.0-x64-__supervise.v8';
    writeFileSync(join(compileCache(cache), older), 'old');
    // A bundle whose name begins like the supervisor's is not the supervisor's to remove.
    const lookalike = 'supervisor-first-1-2-v0.0.0-x64-other.v8';
    writeFileSync(join(compileCache(cache), lookalike), 'not the supervisor bundle');
    await inTemp(cwd, async () => {
      const trace = join(cwd, 'start-trace.jsonl');
      const up = await launch(['up', '-d', '-n', '3', '--profile', 'fast', '--dir', dir, '--ports', String(port + 20)], {
        cwd,
        cache,
        timeoutMs: 60_000,
        env: { ETCD_LAB_START_TRACE: trace },
      });
      assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /cluster ready in \d+ ms: 3 members/);
      // The start trace (what `npm run bench` reads): each step once, from the process that takes it, in order.
      const supervisorPid = Number(/supervisor pid (\d+)/.exec(up.stdout)?.[1]);
      const marks = readFileSync(trace, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { pid: number; mark: string; at: number });
      const at = (mark: string, pid: number): number => {
        const found = marks.filter((m) => m.mark === mark);
        assert.equal(found.length, 1, `${mark} once in ${JSON.stringify(marks)}`);
        assert.equal(found[0]!.pid, pid, `${mark} by pid ${pid}`);
        return found[0]!.at;
      };
      const commandPid = marks[0]!.pid;
      assert.notEqual(commandPid, supervisorPid);
      const path = [
        at('command: node started', commandPid),
        at('command: spawning the supervisor', commandPid),
        at('supervisor: node started', supervisorPid),
        // The first stage (supervisor-first.cjs) takes the request and spawns the anchor before the bundle loads.
        at('supervisor: first stage loaded', supervisorPid),
        at('supervisor: request received', supervisorPid),
        at('supervisor: dir locked', supervisorPid),
        at('supervisor: stale members reaped', supervisorPid),
        at('supervisor: spawned m1', supervisorPid),
        at('supervisor: code loaded', supervisorPid),
        at('supervisor: plan saved', supervisorPid),
        at('supervisor: control socket listening', supervisorPid),
      ];
      assert.deepEqual(path, [...path].sort((a, b) => a - b), 'marks out of order');
      const sending = at('command: sending the request', commandPid);
      assert.ok(sending <= at('supervisor: request received', supervisorPid), 'request received before it was sent');
      assert.ok(at('command: planned', commandPid) <= sending, 'request sent before the plan was made');
      const m1 = at('supervisor: spawned m1', supervisorPid);
      for (const m of ['m2', 'm3']) assert.ok(at(`supervisor: spawned ${m}`, supervisorPid) >= m1, `${m} spawned before m1`);
      // The trace is the start's only: a restart once the cluster is ready adds nothing.
      const traced = readFileSync(trace, 'utf8');
      const restart = await launch(['restart', 'm2', '--dir', dir], { cwd, cache });
      assert.equal(restart.code, 0, restart.stderr);
      assert.equal(readFileSync(trace, 'utf8'), traced);
      const down = await launch(['down', '--dir', dir], { cwd, cache });
      assert.equal(down.code, 0, down.stderr);
      // The supervisor writes its cache as it exits, after `down` returned.
      const deadline = Date.now() + 10_000;
      while (!cacheFiles(cache).some((f) => f.endsWith('-__supervise.v8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // The supervisor ran from its own bundle (supervisor.cjs, not the CLI's), and each bundle's cache outlived the
      // other's writes.
      const files = cacheFiles(cache);
      for (const c of ['etcd-lab-.*-up', 'supervisor-.*-__supervise', 'etcd-lab-.*-down']) {
        assert.ok(files.some((f) => new RegExp(`^${c}\\.v8$`).test(f)), `${c} in ${files.join(' ')}`);
      }
      assert.ok(!files.some((f) => f.startsWith('etcd-lab-') && f.endsWith('-__supervise.v8')), files.join(' '));
      assert.ok(!files.includes(older), files.join(' '));
      assert.ok(files.includes(lookalike), files.join(' '));
      // The launcher spawned the supervisor before the bundle loaded (early-spawn.cjs) and the command took that one
      // over: one supervisor ran; a second one would have been left without its request and logged that.
      const log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
      assert.equal(log.match(/supervisor pid \d+ starting/g)?.length, 1, log);
      assert.doesNotMatch(log, /went away before sending/);
    });
  });

  // Builds missing one of the supervisor's two bundles: it still starts, from what there is.
  const partial = [
    { left: 'supervisor.cjs', firstStage: true, cache: /^etcd-lab-.*-__supervise\.v8$/, offset: 60 },
    { left: 'supervisor-first.cjs', firstStage: false, cache: /^supervisor-.*-__supervise\.v8$/, offset: 70 },
  ];
  for (const b of partial) {
    test(`a build without ${b.left}: the supervisor ${b.firstStage ? 'runs its first stage, then the CLI bundle' : 'runs its own bundle alone'}`, { timeout: 60_000 }, async () => {
      const cwd = tempDir(`without-${b.left}`, base);
      const cache = join(cwd, 'xdg');
      const dir = join(cwd, 'lab');
      const pkg = join(cwd, 'pkg');
      mkdirSync(join(pkg, 'dist', 'cli'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), readFileSync(new URL('../../package.json', import.meta.url)));
      for (const f of ['launch.cjs', 'early-spawn.cjs', 'supervisor-first.cjs', 'supervisor.cjs', 'etcd-lab.cjs']) {
        if (f !== b.left) writeFileSync(join(pkg, 'dist', 'cli', f), readFileSync(join(LAUNCH, '..', f)));
      }
      const launcher = join(pkg, 'dist', 'cli', 'launch.cjs');
      await inTemp(cwd, async () => {
        const trace = join(cwd, 'start-trace.jsonl');
        const up = await launch(['up', '-d', '-n', '3', '--profile', 'fast', '--dir', dir, '--ports', String(port + b.offset)], {
          cwd,
          cache,
          timeoutMs: 40_000,
          env: { ETCD_LAB_START_TRACE: trace },
          launcher,
        });
        assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
        assert.equal(readFileSync(trace, 'utf8').includes('"supervisor: first stage loaded"'), b.firstStage);
        const down = await launch(['down', '--dir', dir], { cwd, cache, launcher });
        assert.equal(down.code, 0, down.stderr);
        const deadline = Date.now() + 10_000;
        while (!cacheFiles(cache).some((f) => f.endsWith('-__supervise.v8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const supervise = cacheFiles(cache).filter((f) => f.endsWith('-__supervise.v8'));
        assert.equal(supervise.length, 1, supervise.join(' '));
        assert.match(supervise[0]!, b.cache);
        await assertNothingLeft(dir);
      });
    });
  }

  test('up -d refused after the early spawn: its supervisor ends, and what the spawn created is removed', { timeout: 30_000 }, async () => {
    const cwd = tempDir('refused', base);
    const cache = join(base, 'xdg-refused');
    mkdirSync(join(cwd, 'kept'));
    writeFileSync(join(cwd, 'kept', 'notes.txt'), 'mine');
    // The arguments name the dir plainly, so launch.cjs spawns the supervisor before the command sees -n 0.
    const missing = await launch(['up', '-d', '-n', '0', '--dir', join(cwd, 'a', 'b', 'lab')], { cwd, cache });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /at least 1 member/);
    const existing = await launch(['up', '-d', '-n', '0', '--dir', join(cwd, 'kept')], { cwd, cache });
    assert.equal(existing.code, 2, existing.stderr);
    await assertNothingLeft(cwd);
    // Folders it created on the way (a, a/b, a/b/lab) are gone; a folder it found keeps its files and gains none.
    assert.deepEqual(readdirSync(cwd).sort(), ['kept']);
    assert.deepEqual(readdirSync(join(cwd, 'kept')), ['notes.txt']);
  });

  test("the build writes the early supervisor spawn and the supervisor's two bundles next to the launcher", () => {
    assert.ok(existsSync(join(LAUNCH, '..', 'early-spawn.cjs')), 'npm run build writes dist/cli/early-spawn.cjs');
    assert.ok(existsSync(join(LAUNCH, '..', 'supervisor-first.cjs')), 'npm run build writes dist/cli/supervisor-first.cjs');
    assert.ok(existsSync(join(LAUNCH, '..', 'supervisor.cjs')), 'npm run build writes dist/cli/supervisor.cjs');
    // The supervisor's code only: a fraction of the CLI's bundle.
    assert.ok(statSync(join(LAUNCH, '..', 'supervisor.cjs')).size < statSync(BUNDLE).size / 3);
    // On the way to the first member's spawn nothing loads node:crypto (~6 ms with what it pulls in, in a child with
    // an IPC channel) or node:perf_hooks (~1 ms): an import of either in these bundles' modules puts that back.
    for (const f of ['early-spawn.cjs', 'supervisor-first.cjs']) {
      const text = readFileSync(join(LAUNCH, '..', f), 'utf8');
      for (const m of ['node:crypto', 'node:perf_hooks', 'crypto', 'perf_hooks']) assert.ok(!text.includes(`require("${m}")`), `${f} requires ${m}`);
    }
  });
});
