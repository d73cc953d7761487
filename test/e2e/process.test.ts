import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ManagedProcess, killAllGroupsSync, type ExitInfo, type OutputStream } from '../../src/supervisor/process.js';
import { pidAlive } from '../../src/supervisor/proc-info.js';
import { killMentioning, processesMentioning, waitNoProcesses } from '../helpers/procs.js';
import { untilTrue } from '../helpers/until.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-process-'));
/** A file whose path appears on the command line of every process a test starts, so survivors can be found. */
const marker = join(tmp, 'marker');
writeFileSync(marker, '');

after(() => {
  killMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

function shell(name: string, script: string, logFile?: string): ManagedProcess {
  return new ManagedProcess({ name, command: { shell: script }, cwd: tmp, env: env(), ...(logFile ? { logFile } : {}) });
}

function stateOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] ?? null;
  } catch {
    return null;
  }
}

describe('ManagedProcess', () => {
  test('stop() kills the grandchild of an `sh -c` command too', async () => {
    const p = shell('tail', `tail -f ${marker} & wait`);
    p.start();
    // sh (its -c string names the marker) and tail.
    await untilTrue(() => processesMentioning(marker).length >= 2, 'sh and its tail child');
    assert.equal(p.state, 'starting');
    const exited = once(p, 'exit') as Promise<[ExitInfo]>;
    await p.stop(2000);
    const [info] = await exited;
    assert.equal(info.expected, true);
    assert.equal(p.state, 'stopped');
    assert.equal(p.pid, null);
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });

  test('a group that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const p = shell('stubborn', `trap '' TERM; tail -f ${marker} & wait; wait`);
    p.start();
    await untilTrue(() => processesMentioning(marker).length >= 2, 'sh and its tail child');
    const t0 = Date.now();
    await p.stop(200);
    const took = Date.now() - t0;
    assert.ok(took >= 180 && took < 2000, `stop took ${took} ms`);
    assert.equal(p.lastExit?.signal, 'SIGKILL');
    assert.equal(p.lastExit?.expected, true);
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });

  test('a second stop(0) cuts the grace short', async () => {
    const p = shell('stubborn2', `trap '' TERM; tail -f ${marker} & wait; wait`);
    p.start();
    await untilTrue(() => processesMentioning(marker).length >= 2, 'sh and its tail child');
    const t0 = Date.now();
    const slow = p.stop(10_000);
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([slow, p.stop(0)]);
    // Well under the 10 s grace it cut short.
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.equal(p.lastExit?.signal, 'SIGKILL');
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });

  test('a leader that exits on its own takes its group with it, and is "exited"', async () => {
    const p = shell('quitter', `tail -f ${marker} & sleep 0.1; exit 3`);
    p.start();
    const [info] = (await once(p, 'exit')) as [ExitInfo];
    assert.deepEqual(info, { code: 3, signal: null, expected: false });
    assert.equal(p.state, 'exited');
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });

  test('output is split into whole lines; partial lines are joined and the tail is flushed', async () => {
    const log = join(tmp, 'logs', 'lines.log');
    const script = [
      "process.stdout.write('hel');",
      "setTimeout(() => process.stdout.write('lo\\r\\nwor'), 30);",
      "setTimeout(() => { process.stderr.write('err line\\n'); process.stdout.write('ld\\nno newline at end'); }, 60);",
    ].join('');
    const p = new ManagedProcess({ name: 'lines', command: { argv: [process.execPath, '-e', script] }, cwd: tmp, env: env(), logFile: log });
    const lines: [string, OutputStream][] = [];
    p.on('line', (text: string, stream: OutputStream) => lines.push([text, stream]));
    p.start();
    const [info] = (await once(p, 'exit')) as [ExitInfo];
    assert.equal(info.code, 0);
    assert.deepEqual(
      lines.filter(([, s]) => s === 'stdout').map(([t]) => t),
      ['hello', 'world', 'no newline at end'],
    );
    assert.deepEqual(lines.filter(([, s]) => s === 'stderr').map(([t]) => t), ['err line']);
    assert.deepEqual(p.lastLines(2).length, 2);
    const raw = readFileSync(log, 'utf8');
    // The log gets the raw bytes of both streams as they came (a stderr line may cut into a stdout line there).
    assert.ok(raw.includes('err line\n'), raw);
    assert.equal(raw.replace('err line\n', ''), 'hello\r\nworld\nno newline at end');
    // Appends on a second run.
    p.start();
    await once(p, 'exit');
    const twice = readFileSync(log, 'utf8');
    assert.ok(twice.startsWith(raw) && twice.length === 2 * raw.length, twice);
  });

  test('pause/resume stop and continue the group; stop() of a paused process works', async () => {
    const p = shell('pausable', `tail -f ${marker} & wait`);
    p.start();
    p.markRunning();
    await untilTrue(() => processesMentioning(marker).length >= 2, 'sh and its tail child');
    const pids = processesMentioning(marker).map((x) => x.pid);
    assert.equal(p.pause(), true);
    assert.equal(p.state, 'paused');
    await untilTrue(() => pids.every((pid) => stateOf(pid) === 'T'), 'every process of the group stopped (T)');
    assert.equal(p.resume(), true);
    assert.equal(p.state, 'running');
    await untilTrue(() => pids.every((pid) => stateOf(pid) !== 'T'), 'every process of the group running again');
    p.pause();
    const t0 = Date.now();
    await p.stop(10_000);
    // Well under the grace: a paused process must get SIGCONT so that SIGTERM works, or it would wait all of it.
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms: a paused process must get SIGCONT so that SIGTERM works`);
    assert.equal(p.lastExit?.signal, 'SIGTERM');
    assert.equal(p.state, 'stopped');
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });

  test('a command that cannot be started ends as exited with a line saying why', async () => {
    const p = new ManagedProcess({ name: 'missing', command: { argv: [join(tmp, 'no-such-binary')] }, cwd: tmp, env: env() });
    p.start();
    const [info] = (await once(p, 'exit')) as [ExitInfo];
    assert.deepEqual(info, { code: null, signal: null, expected: false });
    assert.equal(p.state, 'exited');
    assert.match(p.lastLines(1)[0] ?? '', /cannot start .*no-such-binary: ENOENT/);
  });

  test('lastLines keeps the last 200 lines', async () => {
    const p = shell('many', 'i=0; while [ $i -lt 250 ]; do echo line$i; i=$((i+1)); done');
    p.start();
    await once(p, 'exit');
    const all = p.lastLines(1000);
    assert.equal(all.length, 200);
    assert.equal(all[0], 'line50');
    assert.equal(all[199], 'line249');
    assert.deepEqual(p.lastLines(2), ['line248', 'line249']);
  });

  test('killAllGroupsSync kills every live group and returns once the leaders are dead', async () => {
    const a = shell('a', `tail -f ${marker} & wait`);
    const b = shell('b', `tail -f ${marker} & wait`);
    a.start();
    b.start();
    await untilTrue(() => processesMentioning(marker).length >= 4, 'two groups of two');
    const leaders = [a.pid!, b.pid!];
    const exits = Promise.all([once(a, 'exit'), once(b, 'exit')]);
    killAllGroupsSync();
    for (const pid of leaders) assert.equal(pidAlive(pid), false, `leader ${pid} still runs when killAllGroupsSync returned`);
    const [[ia], [ib]] = (await exits) as [[ExitInfo], [ExitInfo]];
    assert.equal(ia.signal, 'SIGKILL');
    assert.equal(ib.expected, false);
    assert.deepEqual(await waitNoProcesses(marker, 3000), []);
  });
});
