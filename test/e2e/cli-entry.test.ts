// The CLI's entry fast paths (--version, __supervise) and the early-started background supervisor of `up -d`.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/lab-cli.js';
import { claimPorts } from '../helpers/ports.js';
import { untilTrue } from '../helpers/until.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const tmp = tempDir('cli-entry');
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Processes whose working directory is `dir` (the background supervisor runs in the folder `up -d` ran in). */
function runningIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`) === dir) out.push(Number(e));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

test('--version and -v print the package version and nothing else', async () => {
  for (const flag of ['--version', '-v']) {
    const r = await runCli([flag], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${pkg.version}\n`);
    assert.equal(r.stderr, '');
  }
});

test('__supervise started by hand is refused with exit 2', async () => {
  const r = await runCli(['__supervise'], { cwd: tmp });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error: __supervise is started by `etcd-lab up -d`, not by hand/);
});

test('up -d that fails while planning leaves no background supervisor and no state dir', async () => {
  const base = await claimPorts();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(base + 1, '127.0.0.1', r));
  const cwd = tempDir('early-daemon', tmp);
  const dir = join(cwd, 'lab');
  try {
    const r = await runCli(['up', '-d', '--dir', dir, '--ports', String(base)], { cwd });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /already in use on 127\.0\.0\.1: m1 peer port/);
    assert.ok(!existsSync(dir), `${dir} was left behind`);
    await untilTrue(() => runningIn(cwd).length === 0, 'no background supervisor after the failed up -d');
  } finally {
    blocker.close();
    for (const pid of runningIn(cwd)) process.kill(pid, 'SIGKILL');
  }
});
