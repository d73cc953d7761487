// `etcd-lab start`: any Procfile run goreman-style, controlled with `etcd-lab run|status|down` from other processes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { viewCluster, waitForAgreedLeader } from '../helpers/cluster-check.js';
import { processesMentioning } from '../helpers/procs.js';
import { ETCD_PATH } from '../helpers/etcd-under-test.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) {
    killIn(d);
    rmSync(d, { recursive: true, force: true });
  }
});

function tmp(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `etcd-lab-start-${tag}-`));
  dirs.push(d);
  return d;
}

/**
 * Processes that run in `dir` or name it. Entries inherit the runner's working directory, and etcd's own Procfile
 * names no path of ours (its data dirs are relative), so the working directory is what finds them all.
 */
function processesIn(dir: string): { pid: number; cmd: string }[] {
  const found = new Map(processesMentioning(dir).map((p) => [p.pid, p]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) {
        const cmd = processesMentioning('').find((p) => p.pid === Number(entry))?.cmd ?? '?';
        found.set(Number(entry), { pid: Number(entry), cmd });
      }
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return [...found.values()];
}

async function waitNoneIn(dir: string, timeoutMs = 10_000): Promise<{ pid: number; cmd: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesIn(dir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function killIn(dir: string): void {
  for (const p of processesIn(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

interface Runner {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves once stdout or stderr matches `re` (bounded). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Waits (15 s) until the etcd entries at `urls` agree on a leader; on failure, says what the runner printed. */
async function leaderOf(r: { err(): string; out(): string }, urls: string[]): Promise<void> {
  await waitForAgreedLeader(urls, 15_000).catch((e: Error) => {
    throw new Error(`${e.message}\nstderr:\n${r.err()}\nstdout:\n${r.out().slice(-3000)}`);
  });
}

/** Runs `body` on a started runner; whatever happens, the runner and anything left in `dir` are killed after it. */
async function killedAfter(r: Runner, dir: string, body: (r: Runner) => Promise<void>): Promise<void> {
  try {
    await body(r);
  } finally {
    r.child.kill('SIGKILL');
    killIn(dir);
  }
}

function startRunner(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Runner {
  const child = spawnCli(['start', ...args], { cwd, env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    err: () => err,
    async waitFor(re, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out) && !re.test(err)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`runner output never matched ${re}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exited,
  };
}

async function exitWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** etcd's own repository Procfile, with our ports instead of 2379/22379/32379 and the binary under test. */
function etcdRepoProcfile(base: number): { text: string; clientURLs: string[] } {
  const client = [base, base + 2, base + 4];
  const peer = [base + 1, base + 3, base + 5];
  const cluster = peer.map((p, i) => `infra${i + 1}=http://127.0.0.1:${p}`).join(',');
  const lines = client.map(
    (c, i) =>
      `etcd${i + 1}: ${ETCD_PATH} --name infra${i + 1} --listen-client-urls http://127.0.0.1:${c} --advertise-client-urls http://127.0.0.1:${c} ` +
      `--listen-peer-urls http://127.0.0.1:${peer[i]} --initial-advertise-peer-urls http://127.0.0.1:${peer[i]} --initial-cluster-token etcd-cluster-1 ` +
      `--initial-cluster '${cluster}' --initial-cluster-state new --enable-pprof --logger=zap --log-outputs=stderr`,
  );
  const text = [
    '# Use goreman to run `go install github.com/mattn/goreman@latest`',
    '# Change the path of bin/etcd if etcd is located elsewhere',
    '',
    ...lines,
    `#proxy: ${ETCD_PATH} grpc-proxy start --endpoints=127.0.0.1:${client.join(',127.0.0.1:')} --listen-addr=127.0.0.1:${base + 6} --advertise-client-url=127.0.0.1:${base + 6} --enable-pprof`,
    '',
  ].join('\n');
  return { text, clientURLs: client.map((c) => `http://127.0.0.1:${c}`) };
}

test("etcd's own Procfile runs unchanged; run stop/start from another process; Ctrl-C leaves nothing", { timeout: 30_000 }, async () => {
  const dir = tmp('etcd');
  const { text, clientURLs } = etcdRepoProcfile(await claimPorts());
  writeFileSync(join(dir, 'Procfile'), text);
  await killedAfter(startRunner(dir, []), dir, async (r) => {
    await leaderOf(r, clientURLs);
    // The runner says when its etcd entries form a cluster, counted from the command's start (>= its own share).
    await r.waitFor(/cluster ready in \d+ ms \(runner \d+ ms\): 3 etcd members, leader etcd[123]/);
    const ready = /cluster ready in (\d+) ms \(runner (\d+) ms\)/.exec(r.err())!;
    assert.ok(Number(ready[1]) >= Number(ready[2]), ready[0]);
    // etcd's zap JSON is shown as readable lines behind the entry's name.
    assert.match(r.out(), /^etcd1 \| INFO {2}/m);
    assert.doesNotMatch(r.out(), /^etcd\d \| \{"level"/m);

    // The member name works as well as the entry name (etcd's Procfile calls the entry etcd2, the member infra2).
    const stop = await runCli(['run', 'stop', 'infra2'], { cwd: dir });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'infra2: stopped\n');
    assert.deepEqual(processesIn(dir).filter((p) => p.cmd.includes('--name infra2')), []);
    assert.equal((await viewCluster([clientURLs[1]!], 300)).healthy[0], false);
    await waitForAgreedLeader([clientURLs[0]!, clientURLs[2]!], 10_000);
    await r.waitFor(/etcd2 stopped on request/);

    const list = await runCli(['run', 'list', '--json'], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string; state: string }[]).map((m) => `${m.name}=${m.state}`),
      ['etcd1=running', 'etcd2=stopped', 'etcd3=running'],
    );

    const start = await runCli(['run', 'start', 'etcd2'], { cwd: dir });
    assert.equal(start.code, 0, start.stderr);
    await waitForAgreedLeader(clientURLs, 10_000);

    // `etcd-lab status` talks to the runner like to a supervisor and asks the etcd entries for their raft view.
    const status = await runCli(['status', '--json'], { cwd: dir });
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { leader: string | null; members: { name: string; state: string; clientURL: string }[] };
    assert.ok(report.leader !== null && ['etcd1', 'etcd2', 'etcd3'].includes(report.leader), status.stdout);
    assert.deepEqual(report.members.map((m) => [m.name, m.state, m.clientURL]), [
      ['etcd1', 'running', clientURLs[0]],
      ['etcd2', 'running', clientURLs[1]],
      ['etcd3', 'running', clientURLs[2]],
    ]);

    // What needs a cluster `up` made says so, instead of failing on a missing plan or control operation.
    for (const args of [['kill', 'etcd3'], ['links'], ['env'], ['snapshot', 'save', 'x.db']]) {
      const refused = await runCli(args, { cwd: dir });
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /is run by `etcd-lab start` \(a Procfile runner\): .* needs a cluster started with `etcd-lab up`/);
      assert.match(refused.stderr, /hint: on a Procfile runner use status, logs, run start\|stop\|restart and down/);
    }
    assert.equal(existsSync(join(dir, 'x.db')), false);

    // The leak check below can see these members.
    assert.equal(processesIn(dir).filter((p) => p.cmd.startsWith(`${ETCD_PATH} --name infra`)).length, 3);
    r.child.kill('SIGINT');
    const { code } = await exitWithin(r.exited, 10_000, 'runner exit after SIGINT');
    assert.equal(code, 0, r.err());
    assert.match(r.err(), /stopping \(SIGINT\)/);
    assert.match(r.err(), /stopped: no process is running/);
    assert.deepEqual(await waitNoneIn(dir), [], 'no etcd may survive the runner');
  });
});

test('CRLF Procfile: $PORT from 5000, .env, sh -c grandchildren die with their entry, an exit is reported, down stops all', { timeout: 20_000 }, async () => {
  const dir = tmp('shell');
  writeFileSync(
    join(dir, 'Procfile'),
    [
      '# shell entries',
      '',
      'web: echo "web PORT=$PORT GREETING=$GREETING FROM=$FROM"; exec sleep 300',
      // The trailing echo keeps the outer sh from exec'ing the inner one: sleep is a great-grandchild of the runner.
      "tree: sh -c 'sleep 301 & wait'; echo never",
      'fail: sleep 0.3; echo about to fail; exit 3',
      '',
    ].join('\r\n'),
  );
  writeFileSync(join(dir, '.env'), "# for every entry\nGREETING='hello there'\nFROM=dotenv\n");
  await killedAfter(startRunner(dir, [], { FROM: 'shell' }), dir, async (r) => {
    await r.waitFor(/^web {2}\| web PORT=5000 GREETING=hello there FROM=shell$/m);
    await r.waitFor(/fail exited on its own \(exit code 3\)/);
    assert.match(r.out(), /^fail \| about to fail$/m);
    assert.match(r.err(), /tree started \(pid \d+, PORT=5100\)/);
    assert.match(r.err(), /fail started \(pid \d+, PORT=5200\)/);

    const list = await runCli(['run', 'list', '--json'], { cwd: dir });
    assert.equal(list.code, 0, list.stderr);
    const states = JSON.parse(list.stdout) as { name: string; state: string; pid: number | null }[];
    assert.deepEqual(states.map((m) => `${m.name}=${m.state}`), ['web=running', 'tree=running', 'fail=exited']);

    const sleeper = () => processesIn(dir).filter((p) => p.cmd === 'sleep 301');
    assert.equal(sleeper().length, 1, JSON.stringify(processesIn(dir)));
    const stop = await runCli(['run', 'stop', 'tree', '--grace', '2s'], { cwd: dir });
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(sleeper(), [], 'the grandchild of a stopped entry must die with it');
    assert.ok(processesIn(dir).some((p) => p.cmd === 'sleep 300'), 'web keeps running');

    // The dir belongs to this runner.
    const second = await runCli(['start'], { cwd: dir });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /is in use by etcd-lab supervisor pid/);

    const down = await runCli(['down'], { cwd: dir });
    assert.equal(down.code, 0, down.stderr);
    const { code } = await exitWithin(r.exited, 5000, 'runner exit after etcd-lab down');
    assert.equal(code, 0, r.err());
    assert.deepEqual(await waitNoneIn(dir), []);
  });
});

test('-b and names: PORT keeps its Procfile place; a second Ctrl-C kills what ignores SIGTERM', { timeout: 20_000 }, async () => {
  const dir = tmp('base');
  writeFileSync(
    join(dir, 'Procfile'),
    [
      'a: echo "a PORT=$PORT"; exec sleep 300',
      'b: echo "b PORT=$PORT"; exec sleep 300',
      `stubborn: trap '' TERM; echo "stubborn PORT=$PORT"; sleep 302; echo done`,
    ].join('\n'),
  );
  await killedAfter(startRunner(dir, ['-b', '7000', '--grace', '20s', 'b', 'stubborn']), dir, async (r) => {
    await r.waitFor(/^b {8}\| b PORT=7100$/m);
    await r.waitFor(/^stubborn \| stubborn PORT=7200$/m);
    assert.doesNotMatch(r.out(), /^a /m);
    r.child.kill('SIGINT');
    await r.waitFor(/stopping \(SIGINT\)/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.child.exitCode, null, 'the runner waits out the grace for the entry that ignores SIGTERM');
    assert.ok(processesIn(dir).some((p) => p.cmd === 'sleep 302'));
    const t0 = Date.now();
    r.child.kill('SIGINT');
    const { code } = await exitWithin(r.exited, 5000, 'runner exit after the second SIGINT');
    assert.equal(code, 0, r.err());
    assert.ok(Date.now() - t0 < 3000, `the second Ctrl-C took ${Date.now() - t0} ms`);
    assert.match(r.err(), /SIGINT again: killing every process group now/);
    assert.deepEqual(await waitNoneIn(dir), []);
  });
});

test('--restart on-failure restarts a failing entry; without it the runner ends when every entry has ended', { timeout: 20_000 }, async () => {
  const dir = tmp('restart');
  writeFileSync(join(dir, 'Procfile'), 'flaky: echo "flaky run"; exit 1\nsteady: exec sleep 300\n');
  await killedAfter(startRunner(dir, ['--restart', 'on-failure']), dir, async (r) => {
    await r.waitFor(/restarting flaky in 500 ms \(attempt 2\)/);
    assert.ok((r.out().match(/^flaky {2}\| flaky run$/gm) ?? []).length >= 2, r.out());
    r.child.kill('SIGTERM');
    const { code } = await exitWithin(r.exited, 5000, 'runner exit after SIGTERM');
    assert.equal(code, 0, r.err());
    assert.deepEqual(await waitNoneIn(dir), []);
  });

  writeFileSync(join(dir, 'Procfile.once'), 'ok: exit 0\nbad: sleep 0.2; exit 4\n');
  const once = await runCli(['start', '-f', 'Procfile.once'], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(once.code, 1, once.stderr);
  assert.match(once.stderr, /bad exited on its own \(exit code 4\)/);
  assert.match(once.stderr, /stopping \(every process has ended\)/);
});

test('a broken Procfile or an unknown name exits 2 with the line or the names; nothing starts', async () => {
  const dir = tmp('bad');
  writeFileSync(join(dir, 'Procfile'), '# ok so far\r\none: sleep 1\r\nthis line has no colon\r\n');
  const bad = await runCli(['start'], { cwd: dir });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /Procfile:3: expected "name: command"/);

  writeFileSync(join(dir, 'Other'), 'web: sleep 1\nworker: sleep 1\n');
  const unknown = await runCli(['start', '-f', 'Other', 'wrker'], { cwd: dir });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /Other has no process "wrker" \(did you mean "worker"\?\)/);
  assert.match(unknown.stderr, /its processes: web, worker/);

  const missing = await runCli(['start', '-f', 'Nope'], { cwd: dir });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /cannot read the Procfile Nope: no such file/);
  assert.deepEqual(processesIn(dir), []);
});

/**
 * Three etcd members of one new cluster (entries a, b, c; c's peer URL sorts first, so c is the bootstrap anchor)
 * after a shell entry `web`. Data dirs relative to the runner's directory.
 */
function newClusterProcfile(base: number, anchorExtra = ''): { text: string; clientURLs: string[] } {
  const names = ['a', 'b', 'c'];
  const client = [base + 10, base + 12, base + 14];
  const peer = [base + 15, base + 13, base + 11];
  const cluster = peer.map((p, i) => `${names[i]}=http://127.0.0.1:${p}`).join(',');
  const lines = names.map(
    (n, i) =>
      `${n}: ${ETCD_PATH} --name ${n} --data-dir data/${n} --listen-client-urls http://127.0.0.1:${client[i]} --advertise-client-urls http://127.0.0.1:${client[i]} ` +
      `--listen-peer-urls http://127.0.0.1:${peer[i]} --initial-advertise-peer-urls http://127.0.0.1:${peer[i]} --initial-cluster-token stagger-1 ` +
      `--initial-cluster ${cluster} --initial-cluster-state new --logger=zap --log-outputs=stderr${n === 'c' ? anchorExtra : ''}`,
  );
  return { text: ['web: echo "web up"; exec sleep 300', ...lines, ''].join('\n'), clientURLs: client.map((c) => `http://127.0.0.1:${c}`) };
}

/** The runner's `etcd-lab |` lines that say an entry started, in order. */
function startedOrder(err: string): string[] {
  return [...err.matchAll(/^\S* ?etcd-lab \| (\S+) started \(pid/gm)].map((m) => m[1]!);
}

/** The `ts` of each zap line of an entry's log (.etcd-lab/logs/<entry>.log), in ms. */
function zapTimes(dir: string, entry: string): { ms: number; line: string }[] {
  return readFileSync(join(dir, '.etcd-lab', 'logs', `${entry}.log`), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const ts = /"ts":"([^"]+)"/.exec(line)?.[1];
      return ts ? [{ ms: Date.parse(ts), line }] : [];
    });
}

async function stopRunner(r: Runner, dir: string): Promise<void> {
  r.child.kill('SIGINT');
  const { code } = await exitWithin(r.exited, 10_000, 'runner exit after SIGINT');
  assert.equal(code, 0, r.err());
  assert.deepEqual(await waitNoneIn(dir), [], 'no process may survive the runner');
}

test('a new cluster starts staggered: the bootstrap anchor first, the other members after its bootstrap check; a shell entry at once', { timeout: 40_000 }, async () => {
  const dir = tmp('stagger');
  const { text, clientURLs } = newClusterProcfile(await claimPorts());
  writeFileSync(join(dir, 'Procfile'), text);
  await killedAfter(startRunner(dir, []), dir, async (r) => {
    await leaderOf(r, clientURLs);
    await r.waitFor(/cluster ready in \d+ ms \(runner \d+ ms\): 3 etcd members/);
    const err = r.err();
    assert.match(err, /etcd-lab \| starting c first \(the bootstrap anchor of 3 etcd members; --all-at-once to start all together\)\n/);
    const done = /etcd-lab \| c (is past its bootstrap check|'s peer port accepts connections) after (\d+) ms: starting the rest\n/.exec(err);
    assert.ok(done, err);
    assert.ok(Number(done[2]) < 2000, done[0]);
    // The anchor, then the shell entry without waiting, then the members that waited for the anchor.
    assert.deepEqual(startedOrder(err), ['c', 'web', 'a', 'b'], err);
    assert.ok(err.indexOf('web started') < done.index && done.index < err.indexOf('a started'), err);
    assert.match(r.out(), /^web \| web up$/m);
    if (done[1] === 'is past its bootstrap check') {
      // etcd's own clocks agree: a and b logged nothing before c was past its bootstrap check.
      const past = zapTimes(dir, 'c').find((l) => /"msg":"starting local member"/.test(l.line));
      assert.ok(past, 'c logged "starting local member"');
      for (const n of ['a', 'b']) {
        const first = zapTimes(dir, n)[0]!;
        assert.ok(first.ms >= past.ms, `${n} logged at ${first.line} before c was past its check (${past.line})`);
      }
    }
    await stopRunner(r, dir);
  });
});

test('--all-at-once starts every member together; so does a restart whose data dirs hold a WAL', { timeout: 40_000 }, async () => {
  const dir = tmp('at-once');
  const { text, clientURLs } = newClusterProcfile(await claimPorts());
  writeFileSync(join(dir, 'Procfile'), text);
  for (const args of [['--all-at-once'], []]) {
    await killedAfter(startRunner(dir, args), dir, async (r) => {
      await leaderOf(r, clientURLs);
      await r.waitFor(/cluster ready in \d+ ms/);
      const err = r.err();
      assert.doesNotMatch(err, /first \(the bootstrap anchor|starting the rest/, `${args.join(' ') || 'restart'}:\n${err}`);
      // Procfile order, every start before anything else is said.
      assert.deepEqual(startedOrder(err), ['web', 'a', 'b', 'c'], err);
      assert.match(err, /^etcd-lab \| running 4 processes from Procfile.*\n(etcd-lab \| \w+ started \(pid \d+, PORT=\d+\)\n){4}/, err);
      if (args.length === 0) assert.ok(existsSync(join(dir, 'data', 'c', 'member', 'wal')), 'the restart found the WAL');
      await stopRunner(r, dir);
    });
  }
});

test('an anchor that exits at once lets the others start then; the runner keeps them running', { timeout: 40_000 }, async () => {
  const dir = tmp('anchor-exit');
  const { text, clientURLs } = newClusterProcfile(await claimPorts(), ' --no-such-flag');
  writeFileSync(join(dir, 'Procfile'), text);
  await killedAfter(startRunner(dir, []), dir, async (r) => {
    await r.waitFor(/etcd-lab \| c exited after \d+ ms: starting the rest\n/);
    await r.waitFor(/c exited on its own \(exit code \d+\)/);
    // a and b are a quorum of the three without c.
    await leaderOf(r, clientURLs.slice(0, 2));
    assert.deepEqual(startedOrder(r.err()), ['c', 'web', 'a', 'b'], r.err());
    assert.doesNotMatch(r.err(), /stopping/);
    await stopRunner(r, dir);
  });
});
