// Every way a supervised cluster ends leaves no etcd behind: signals to a foreground `up`, a forced second
// Ctrl-C, a SIGKILLed background supervisor (reaped by `down` or `status`), and a supervisor that crashes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { claimPorts } from '../helpers/ports.js';
import { waitForAgreedLeader } from '../helpers/cluster-check.js';
import { ETCD_PATH } from '../helpers/etcd-under-test.js';
import {
  alive,
  assertNothingLeft,
  inTemp,
  etcdctl,
  killIn,
  lab,
  show,
  spawnCli,
  statusJson,
  supervisorPid,
  tempDir,
  upArgs,
  upDetached,
} from '../helpers/lab-cli.js';
import { waitFor } from '../helpers/until.js';

const base = tempDir('etcd-lab-cli-stop');
const port = await claimPorts();
/** Every 10-port slot of the first block is taken by a test below. */
const port2 = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

interface Foreground {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `etcd-lab up` in the foreground, as in a terminal of its own; resolves once it printed that the cluster is ready. */
async function foregroundUp(tmp: string, dir: string, p: number, extra: string[] = []): Promise<Foreground> {
  const child = spawnCli(upArgs(dir, p, extra), { cwd: tmp });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  // Resolved once its output is all read ('close'), with the time it exited ('exit' may come before the last lines).
  let exitedAt = 0;
  child.once('exit', () => (exitedAt = Date.now()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once('close', (code, signal) => r({ code, signal, at: exitedAt || Date.now() })),
  );
  let ended = false;
  void exit.then(() => (ended = true));
  await waitFor(() => out, (o) => /cluster ready in \d+ ms/.test(o) || ended, 'the foreground up to be ready', 20_000);
  assert.ok(!ended, `up ended before it was ready\n${out}\n${err}`);
  return { child, out: () => out, err: () => err, exit };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);
}

describe('stop paths', { concurrency: 4 }, () => {
  for (const [k, sig] of (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).entries()) {
    test(`foreground up + ${sig}: exit 0, every member stopped`, async () => {
      const tmp = tempDir(sig, base);
      const dir = join(tmp, 'lab');
      let fg: Foreground | undefined;
      await inTemp(
        tmp,
        async () => {
          fg = await foregroundUp(tmp, dir, port + 10 * k);
          const s = await statusJson(tmp, dir);
          assert.ok(s.members.every((m) => m.state === 'running' && m.pid !== null && alive(m.pid)));
          fg.child.kill(sig);
          const e = await within(fg.exit, 15_000, `exit after ${sig}`);
          assert.equal(e.code, 0, `${fg.out()}\n${fg.err()}`);
          assert.match(fg.err(), new RegExp(`stopping \\(${sig}\\): followers first, then the leader`));
          assert.match(fg.err(), /stopped: no member is running/);
          // Member lines are shown as they come, to the end.
          assert.match(fg.out(), /^m[123] \| INFO  received signal; shutting down/m);
          for (const m of s.members) assert.ok(!alive(m.pid!), `${m.name} (pid ${m.pid}) survived`);
        },
        async () => {
          fg?.child.kill('SIGKILL');
        },
      );
    });
  }

  test('foreground up + `down` from another shell: exit 0, every member stopped', async () => {
    const tmp = tempDir('down', base);
    const dir = join(tmp, 'lab');
    let fg: Foreground | undefined;
    await inTemp(
      tmp,
      async () => {
        fg = await foregroundUp(tmp, dir, port + 70);
        const s = await statusJson(tmp, dir);
        const r = await lab(tmp, ['down', '--dir', dir]);
        assert.equal(r.code, 0, show(r));
        const e = await within(fg.exit, 10_000, 'exit after down');
        assert.equal(e.code, 0, `${fg.out()}\n${fg.err()}`);
        assert.match(fg.err(), /stopping \(etcd-lab down\)/);
        for (const m of s.members) assert.ok(!alive(m.pid!), `${m.name} (pid ${m.pid}) survived`);
      },
      async () => {
        fg?.child.kill('SIGKILL');
      },
    );
  });

  test('foreground up + `etcd-lab kill m2`: told as a fault (not "on its own"), no raw JSON, m2 stays down', async () => {
    const tmp = tempDir('kill', base);
    const dir = join(tmp, 'lab');
    const p = await claimPorts();
    let fg: Foreground | undefined;
    await inTemp(
      tmp,
      async () => {
        fg = await foregroundUp(tmp, dir, p);
        const k = await lab(tmp, ['kill', 'm2', '--dir', dir]);
        assert.equal(k.code, 0, show(k));
        await waitFor(() => fg!.err(), (e) => /m2 was killed by a fault/.test(e), 'the fault line', 10_000);
        assert.match(fg.err(), /m2 was killed by a fault \(SIGKILL\); it stays down until `etcd-lab restart m2`/);
        assert.doesNotMatch(fg.err(), /exited on its own/);
        assert.doesNotMatch(`${fg.out()}${fg.err()}`, /\{"level"/, 'a raw JSON log line in the foreground output');
        const s = await statusJson(tmp, dir);
        assert.notEqual(s.members.find((m) => m.name === 'm2')?.state, 'running');
        fg.child.kill('SIGINT');
        assert.equal((await within(fg.exit, 15_000, 'exit after SIGINT')).code, 0);
      },
      async () => {
        fg?.child.kill('SIGKILL');
      },
    );
  });

  /**
   * `up -d` in the background until its first member started (the start request was sent: the supervisor reports
   * progress only after it), then `interrupt`; the command must end by `signal`, and the start must be stopped: no
   * process left, and a supervisor log that says why and never claimed the cluster ready.
   */
  async function interruptedStart(
    name: string,
    ports: number,
    args: string[],
    signal: NodeJS.Signals,
    interrupt: (child: ChildProcess) => Promise<void>,
  ): Promise<void> {
    const tmp = tempDir(name, base);
    const dir = join(tmp, 'lab');
    const child = spawnCli(upArgs(dir, ports, ['-d', ...args]), { cwd: tmp });
    await inTemp(
      tmp,
      async () => {
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        const exit = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
        await waitFor(() => err, (e) => /^m1 +started/m.test(e), 'm1 to be started');
        await interrupt(child);
        assert.equal(await within(exit, 10_000, 'the exit of up -d'), signal);
        await assertNothingLeft(tmp, 10_000, () => `${err}\n--- supervisor.log\n${readFileSync(join(dir, 'supervisor.log'), 'utf8')}`);
        const log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
        assert.match(log, /went away before the cluster was ready: stopping/);
        assert.doesNotMatch(log, /cluster ready in/);
      },
      async () => {
        child.kill('SIGKILL');
      },
    );
  }

  test('Ctrl-C on `up -d` before the cluster is ready stops the start: no supervisor, no member left', async () => {
    // m5 starts 60 s late, so the cluster cannot be ready when the Ctrl-C comes, however slow this machine is.
    const etcd = join(tempDir('etcd-m5-late', base), 'etcd');
    writeFileSync(etcd, `#!/bin/sh\ncase " $* " in *" --name m5 "*) sleep 60 ;; esac\nexec '${ETCD_PATH}' "$@"\n`, { mode: 0o755 });
    await interruptedStart('abort-detach', port + 80, ['-n', '5', '--etcd', etcd], 'SIGINT', async (child) => {
      child.kill('SIGINT');
    });
  });

  test('`up -d` killed after the cluster got ready but before it took the ready message: the supervisor stops the start', async () => {
    // m3 starts 1 s late, so the cluster cannot be ready before the command is stopped, however fast the start.
    const etcd = join(tempDir('etcd-m3-late', base), 'etcd');
    writeFileSync(etcd, `#!/bin/sh\ncase " $* " in *" --name m3 "*) sleep 1 ;; esac\nexec '${ETCD_PATH}' "$@"\n`, { mode: 0o755 });
    await interruptedStart('unanswered', port2, ['--etcd', etcd], 'SIGKILL', async (child) => {
      // The command reads nothing more; the cluster gets ready and the supervisor reports it to nobody.
      child.kill('SIGSTOP');
      await waitForAgreedLeader([port2, port2 + 2, port2 + 4].map((c) => `http://127.0.0.1:${c}`));
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGKILL');
    });
  });

  test('a second SIGINT forces: a member paused with SIGSTOP cannot exit on SIGTERM, all are gone at once', async () => {
    const tmp = tempDir('force', base);
    const dir = join(tmp, 'lab');
    let fg: Foreground | undefined;
    await inTemp(
      tmp,
      async () => {
        fg = await foregroundUp(tmp, dir, port + 30);
        const s = await statusJson(tmp, dir);
        const paused = s.members.find((m) => !m.isLeader)!;
        process.kill(paused.pid!, 'SIGSTOP');
        fg.child.kill('SIGINT');
        // The first Ctrl-C waits for the paused member (grace 3 s)...
        await new Promise((r) => setTimeout(r, 700));
        assert.ok(alive(paused.pid!), 'the paused member should still be there after the first SIGINT');
        const sent = Date.now();
        fg.child.kill('SIGINT');
        const e = await within(fg.exit, 10_000, 'exit after the second SIGINT');
        assert.ok(e.at - sent < 1500, `the forced stop took ${e.at - sent} ms`);
        assert.match(fg.err(), /SIGINT again: killing every member now/);
        assert.equal(e.code, 0, `${fg.out()}\n${fg.err()}`);
        for (const m of s.members) assert.ok(!alive(m.pid!), `${m.name} (pid ${m.pid}) survived`);
      },
      async () => {
        fg?.child.kill('SIGKILL');
      },
    );
  });

  for (const [k, reaper] of (['down', 'status', 'up'] as const).entries()) {
    test(`up -d, SIGKILL the supervisor: members keep running, then \`${reaper}\` reaps them`, async () => {
      const tmp = tempDir(`orphans-${reaper}`, base);
      const dir = join(tmp, 'lab');
      const p = port + 40 + 10 * k;
      await inTemp(
        tmp,
        async () => {
          const up = await upDetached(tmp, dir, p);
          const s = await statusJson(tmp, dir);
          const sup = supervisorPid(dir);
          process.kill(sup, 'SIGKILL');
          await waitFor(() => alive(sup), (a) => !a, 'the supervisor to die');
          await new Promise((r) => setTimeout(r, 300));
          for (const m of s.members) assert.ok(alive(m.pid!), `${m.name} should outlive its supervisor`);
          const put = await etcdctl(/ETCDCTL_ENDPOINTS=(\S+)/.exec(up.stdout)![1]!, ['put', 'orphaned', 'yes']);
          assert.equal(put.code, 0, put.stderr);

          const r = await lab(tmp, reaper === 'up' ? upArgs(dir, p, ['-d']) : [reaper, '--dir', dir]);
          assert.equal(r.code, 0, show(r));
          for (const m of s.members) assert.match(r.stderr, new RegExp(`reaped ${m.name} \\(pid ${m.pid}\\b`));
          for (const m of s.members) assert.ok(!alive(m.pid!), `${m.name} (pid ${m.pid}) survived ${reaper}`);
          if (reaper === 'status') assert.match(r.stdout, /no supervisor is running: the cluster is stopped/);
          if (reaper !== 'up') {
            await assertNothingLeft(tmp);
            // The dir is usable again, with its data.
            await upDetached(tmp, dir, p);
          } else {
            assert.match(r.stderr, /resuming 3 members/);
          }
          const get = await etcdctl(/ETCDCTL_ENDPOINTS=(\S+)/.exec(up.stdout)![1]!, ['get', 'orphaned', '--print-value-only']);
          assert.equal(get.stdout.trim(), 'yes');
          const down = await lab(tmp, ['down', '--dir', dir]);
          assert.equal(down.code, 0, show(down));
        },
        async () => {
          await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
        },
      );
    });
  }

  test('the supervisor crashes (its state dir deleted under it, then a member dies): exit 1, every member killed', async () => {
    const tmp = tempDir('crash', base);
    const dir = join(tmp, 'lab');
    let fg: Foreground | undefined;
    await inTemp(
      tmp,
      async () => {
        fg = await foregroundUp(tmp, dir, port + 90);
        const s = await statusJson(tmp, dir);
        rmSync(dir, { recursive: true, force: true });
        // Its exit changes the member's state, and state.json cannot be written any more: an uncaught error.
        process.kill(s.members[1]!.pid!, 'SIGKILL');
        const e = await within(fg.exit, 10_000, 'the crash');
        assert.equal(e.code, 1, `${fg.out()}\n${fg.err()}`);
        assert.match(fg.err(), /etcd-lab supervisor crashed: Error: ENOENT/);
        for (const m of s.members) assert.ok(!alive(m.pid!), `${m.name} (pid ${m.pid}) survived the crash`);
      },
      async () => {
        fg?.child.kill('SIGKILL');
      },
    );
  });
});
