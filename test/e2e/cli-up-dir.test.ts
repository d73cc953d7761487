// `up` and its state dir: a dir in use, resuming a stopped cluster with its data, --fresh, a mismatching request,
// busy ports, a binary that is not etcd, and a cluster that cannot become ready.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import {
  assertNothingLeft,
  inTemp,
  etcdctl,
  exportedEndpoints,
  killIn,
  lab,
  show,
  statusJson,
  supervisorPid,
  tempDir,
  upArgs,
  upDetached,
} from '../helpers/lab-cli.js';

const base = tempDir('etcd-lab-cli-dir');
const port = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

function token(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { token: string }).token;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['plan.json', 'state.json', 'supervisor.lock']) out[f] = readFileSync(join(dir, f), 'utf8');
  return out;
}

async function get(endpoints: string, key: string): Promise<string> {
  const r = await etcdctl(endpoints, ['get', key, '--print-value-only']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function down(tmp: string, dir: string): Promise<void> {
  const r = await lab(tmp, ['down', '--dir', dir]);
  assert.equal(r.code, 0, show(r));
}

describe('up and its state dir', { concurrency: 3 }, () => {
  test('a second up on a dir in use names the running supervisor and changes nothing', async () => {
    const tmp = tempDir('in-use', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await upDetached(tmp, dir, port);
        const before = snapshot(dir);
        const status = await statusJson(tmp, dir);
        const pid = supervisorPid(dir);
        for (const extra of [['-d'], [], ['-d', '--fresh', '--yes'], ['-d', '-n', '5']]) {
          const r = await lab(tmp, upArgs(dir, port, extra));
          assert.equal(r.code, 1, `up ${extra.join(' ')}: ${show(r)}`);
          assert.match(r.stderr, new RegExp(`error: a cluster is already running in ${dir} \\(supervisor pid ${pid}\\)`));
          assert.match(r.stderr, /hint: see it with `etcd-lab status/);
          assert.equal(r.stdout, '');
        }
        assert.deepEqual(snapshot(dir), before);
        const after = await statusJson(tmp, dir);
        assert.deepEqual(after.members.map((m) => [m.name, m.pid, m.id, m.state]), status.members.map((m) => [m.name, m.pid, m.id, m.state]));
        await down(tmp, dir);
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });

  test('a stopped dir: -n 5 is DIR_MISMATCH, up resumes it with its data, --fresh starts over with --yes, is refused without a terminal, and deletes only what etcd-lab made', async () => {
    const tmp = tempDir('resume', base);
    const dir = join(tmp, 'lab');
    const p = port + 10;
    await inTemp(
      tmp,
      async () => {
        const first = await upDetached(tmp, dir, p);
        const endpoints = exportedEndpoints(first.stdout);
        assert.equal((await etcdctl(endpoints, ['put', 'kept', 'across-restarts'])).code, 0);
        const ids = (await statusJson(tmp, dir)).members.map((m) => m.id);
        const token1 = token(dir);
        await down(tmp, dir);
        await assertNothingLeft(tmp);

        const planBefore = readFileSync(join(dir, 'plan.json'), 'utf8');
        const five = await lab(tmp, upArgs(dir, p, ['-d', '-n', '5']));
        assert.equal(five.code, 1, show(five));
        assert.match(five.stderr, new RegExp(`error: ${dir} holds a 3-member cluster \\(m1, m2, m3\\) with data; you asked for 5 members`));
        assert.match(five.stderr, /hint: .*--fresh/);
        assert.equal(readFileSync(join(dir, 'plan.json'), 'utf8'), planBefore);
        // Other ports or timing than the stored cluster's are refused too, not dropped in silence.
        const ports = await lab(tmp, upArgs(dir, port + 60, ['-d']));
        assert.equal(ports.code, 1, show(ports));
        assert.match(ports.stderr, new RegExp(`error: ${dir} holds a 3-member cluster \\(m1, m2, m3\\) with data on client/peer ports m1 ${p}/${p + 1}, m2 ${p + 2}/${p + 3}, m3 ${p + 4}/${p + 5}; you asked for m1 ${port + 60}/${port + 61}, m2 ${port + 62}/${port + 63}, m3 ${port + 64}/${port + 65}`));
        const profile = await lab(tmp, upArgs(dir, p, ['-d', '--profile', 'default']));
        assert.equal(profile.code, 1, show(profile));
        assert.match(profile.stderr, /with the fast profile \(heartbeat 10 ms, election timeout 100 ms\); you asked for heartbeat 100 ms, election timeout 1000 ms/);
        assert.equal(readFileSync(join(dir, 'plan.json'), 'utf8'), planBefore);
        // plan and procfile on the dir show and export the stored cluster, not a new plan its data would not fit.
        const shown = await lab(tmp, ['plan', '--dir', dir, '--json']);
        assert.equal(shown.code, 0, show(shown));
        assert.equal((JSON.parse(shown.stdout) as { token: string }).token, token1);
        assert.match(shown.stderr, /the cluster stored in .*lab \(`etcd-lab up` resumes it with its data\)/);
        const exported = await lab(tmp, ['procfile', '--dir', dir]);
        assert.equal(exported.code, 0, show(exported));
        assert.match(exported.stdout, new RegExp(`--initial-cluster-token ${token1} `));
        assert.match(exported.stdout, new RegExp(`--listen-client-urls http://127\\.0\\.0\\.1:${p} `));
        // Settings that match the stored cluster are fine (as a project's etcd-lab.yaml gives them); others are refused as up refuses them.
        const same = await lab(tmp, ['procfile', '--dir', dir, '-n', '3', '--ports', String(p), '--profile', 'fast']);
        assert.equal(same.code, 0, show(same));
        assert.equal(same.stdout, exported.stdout);
        const other = await lab(tmp, ['procfile', '--dir', dir, '--name-prefix', 'x']);
        assert.equal(other.code, 1, show(other));
        assert.match(other.stderr, /holds a 3-member cluster \(m1, m2, m3\) with data; you asked for x1, x2, x3/);
        await assertNothingLeft(tmp);

        const resumed = await upDetached(tmp, dir, p);
        assert.match(resumed.stderr, /resuming 3 members in /);
        assert.equal(await get(endpoints, 'kept'), 'across-restarts');
        assert.equal(token(dir), token1);
        assert.deepEqual((await statusJson(tmp, dir)).members.map((m) => m.id), ids);
        await down(tmp, dir);

        const fresh = await upDetached(tmp, dir, p, ['--fresh', '--yes']);
        assert.match(fresh.stderr, /starting 3 members in /);
        assert.equal(await get(endpoints, 'kept'), '');
        const token2 = token(dir);
        assert.notEqual(token2, token1);
        assert.equal((await etcdctl(endpoints, ['put', 'second', 'life'])).code, 0);
        await down(tmp, dir);

        // No terminal to ask on (stdin is a pipe) and no --yes: refused, nothing deleted.
        const planKept = readFileSync(join(dir, 'plan.json'), 'utf8');
        const unasked = await lab(tmp, upArgs(dir, p, ['-d', '--fresh']));
        assert.equal(unasked.code, 2, show(unasked));
        assert.doesNotMatch(unasked.stderr, /\[y\/N\]/);
        assert.match(unasked.stderr, /error: --fresh would delete .* and there is no terminal to ask for a yes/);
        assert.match(unasked.stderr, /hint: pass --yes/);
        assert.equal(readFileSync(join(dir, 'plan.json'), 'utf8'), planKept);
        assert.ok(existsSync(join(dir, 'data', 'm1', 'member')), 'm1 data deleted');
        await assertNothingLeft(tmp);

        // --fresh --yes deletes only what etcd-lab made: a file of the user's in data/ and logs/ stays.
        writeFileSync(join(dir, 'data', 'NOTES.txt'), 'mine');
        writeFileSync(join(dir, 'logs', 'mine.log'), 'mine');
        const again = await upDetached(tmp, dir, p, ['--fresh', '--yes']);
        assert.match(again.stderr, /starting 3 members in /);
        assert.equal(await get(endpoints, 'second'), '');
        assert.notEqual(token(dir), token2);
        assert.equal(readFileSync(join(dir, 'data', 'NOTES.txt'), 'utf8'), 'mine');
        assert.equal(readFileSync(join(dir, 'logs', 'mine.log'), 'utf8'), 'mine');
        await down(tmp, dir);
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });

  test('--fresh --yes in a dir whose plan.json is not etcd-lab\'s, or with etcd data and no plan: refused, nothing deleted', async () => {
    const tmp = tempDir('fresh-foreign', base);
    const dir = join(tmp, 'theirs');
    const p = port + 92; // refused before anything binds
    mkdirSync(join(dir, 'data', 'x1', 'member'), { recursive: true });
    writeFileSync(join(dir, 'plan.json'), '{"name":"someone else\'s project"}');
    const foreignPlan = await lab(tmp, upArgs(dir, p, ['-d', '--fresh', '--yes']));
    assert.equal(foreignPlan.code, 1, show(foreignPlan));
    assert.match(foreignPlan.stderr, /plan\.json is not a plan etcd-lab wrote, so --fresh deletes nothing/);
    assert.equal(readFileSync(join(dir, 'plan.json'), 'utf8'), '{"name":"someone else\'s project"}');
    rmSync(join(dir, 'plan.json'));
    const noPlan = await lab(tmp, upArgs(dir, p, ['-d', '--fresh', '--yes']));
    assert.equal(noPlan.code, 1, show(noPlan));
    assert.match(noPlan.stderr, /holds etcd data \(x1\) but no plan\.json: etcd-lab cannot tell that it made it/);
    assert.ok(existsSync(join(dir, 'data', 'x1', 'member')));
    await assertNothingLeft(tmp);
  });

  test('down --clean deletes only what etcd-lab made: a dir without its plan.json is refused, a file of the user\'s stays', async () => {
    const tmp = tempDir('clean', base);
    // A project folder given as --dir by mistake: refused, every file kept.
    const project = join(tmp, 'project');
    mkdirSync(join(project, 'sub'), { recursive: true });
    writeFileSync(join(project, 'main.go'), 'package main\n');
    writeFileSync(join(project, 'sub', 'a.txt'), 'a\n');
    const refused = await lab(tmp, ['down', '--clean', '--dir', project]);
    assert.equal(refused.code, 1, show(refused));
    assert.match(refused.stderr, /project has no plan\.json: etcd-lab cannot tell that it made what is there, so down --clean deletes nothing/);
    assert.deepEqual(readdirSync(project).sort(), ['main.go', 'sub']);
    writeFileSync(join(project, 'plan.json'), '{"not":"ours"}');
    const foreign = await lab(tmp, ['down', '--clean', '--dir', project]);
    assert.equal(foreign.code, 1, show(foreign));
    assert.match(foreign.stderr, /plan\.json is not a plan etcd-lab wrote, so down --clean deletes nothing/);
    assert.deepEqual(readdirSync(project).sort(), ['main.go', 'plan.json', 'sub']);
    // What etcd-lab writes without a plan (a failed first start, a Procfile runner's dir) is its own to delete.
    const runner = join(tmp, 'runner');
    mkdirSync(join(runner, 'logs'), { recursive: true });
    writeFileSync(join(runner, 'logs', 'm1.log'), 'x\n');
    writeFileSync(join(runner, 'supervisor.log'), 'x\n');
    const runnerClean = await lab(tmp, ['down', '--clean', '--dir', runner]);
    assert.equal(runnerClean.code, 0, show(runnerClean));
    assert.equal(existsSync(runner), false);
    // A dangling symlink as the state folder is said as such, exit 2.
    symlinkSync(join(tmp, 'nowhere'), join(tmp, 'dangling'));
    const dangling = await lab(tmp, upArgs(join(tmp, 'dangling'), port + 92, ['-d']));
    assert.equal(dangling.code, 2, show(dangling));
    assert.match(dangling.stderr, /cannot create the state folder .*dangling: .*dangling is a link to a path that does not exist/);
    // A cluster's dir with a file of the user's in it and in logs/: the cluster's files go, the user's stay.
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await upDetached(tmp, dir, port + 80);
        writeFileSync(join(dir, 'notes.md'), 'mine\n');
        writeFileSync(join(dir, 'logs', 'mine.log'), 'mine\n');
        const clean = await lab(tmp, ['down', '--clean', '--dir', dir]);
        assert.equal(clean.code, 0, show(clean));
        assert.match(clean.stderr, /deleted what etcd-lab made in .*lab; kept what it did not make: logs, notes\.md/);
        assert.deepEqual(readdirSync(dir).sort(), ['logs', 'notes.md']);
        assert.deepEqual(readdirSync(join(dir, 'logs')), ['mine.log']);
        // Without the user's files, the dir itself goes.
        rmSync(join(dir, 'notes.md'));
        rmSync(join(dir, 'logs'), { recursive: true });
        await upDetached(tmp, dir, port + 80);
        const gone = await lab(tmp, ['down', '--clean', '--dir', dir]);
        assert.equal(gone.code, 0, show(gone));
        assert.match(gone.stderr, /deleted .*lab\n/);
        assert.equal(existsSync(dir), false);
        // Through a symlink: the link and the folder it names stay, emptied.
        mkdirSync(join(tmp, 'real'));
        symlinkSync(join(tmp, 'real'), join(tmp, 'link'));
        await upDetached(tmp, join(tmp, 'link'), port + 80);
        const viaLink = await lab(tmp, ['down', '--clean', '--dir', join(tmp, 'link')]);
        assert.equal(viaLink.code, 0, show(viaLink));
        assert.match(viaLink.stderr, /deleted what etcd-lab made in .*link \(a symlink: the link and the folder it names stay\)/);
        assert.deepEqual(readdirSync(join(tmp, 'real')), []);
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
    await assertNothingLeft(tmp);
  });

  test('a state folder that cannot be made (under /proc, where Node\'s recursive mkdir loops forever): exit 2 at once, nothing runs', async () => {
    const tmp = tempDir('unmakeable', base);
    const dir = `/proc/etcd-lab-test-${process.pid}/lab`;
    for (const extra of [['-d'], []]) {
      const r = await lab(tmp, upArgs(dir, port + 92, extra), { timeoutMs: 20_000 });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`error: cannot create the state folder ${dir}: /proc/etcd-lab-test-${process.pid}: ENOENT`));
      assert.match(r.stderr, /hint: name a folder you can write with --dir/);
    }
    await assertNothingLeft(tmp);
  });

  test('a port that is taken: the error names member and port; nothing is started or written', async () => {
    const tmp = tempDir('ports', base);
    const dir = join(tmp, 'lab');
    const p = port + 20;
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(p + 3, '127.0.0.1', r));
    await inTemp(
      tmp,
      async () => {
        for (const extra of [['-d'], []]) {
          const r = await lab(tmp, upArgs(dir, p, extra));
          assert.equal(r.code, 1, show(r));
          assert.match(r.stderr, new RegExp(`error: already in use on 127\\.0\\.0\\.1: m2 peer port ${p + 3}\\n`));
          assert.match(r.stderr, /hint: stop what listens there/);
          assert.ok(!existsSync(dir), `${dir} was created`);
          await assertNothingLeft(tmp);
        }
      },
      async () => {
        blocker.close();
      },
    );
  });

  test('bad input on up -d (whose supervisor process starts before the flags are read): exit 2, no dir, nothing left', async () => {
    const tmp = tempDir('bad-input', base);
    const dir = join(tmp, 'lab');
    await inTemp(tmp, async () => {
      for (const [extra, message] of [
        [['--profile', 'slow'], /argument 'slow' is invalid/],
        [['-n', '4'], /4 members tolerate 1 failure/],
        [['--ready-timeout', 'soon'], /--ready-timeout "soon" is not a duration/],
        [['--bogus'], /unknown option '--bogus'/],
      ] as const) {
        const r = await lab(tmp, upArgs(dir, port + 25, ['-d', ...extra]));
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, message);
        assert.ok(!existsSync(dir), `${dir} was created by up -d ${extra.join(' ')}`);
        await assertNothingLeft(tmp);
      }
    });
  });

  test('a --dir that is a file, or lies under one: exit 2 naming it, for up, up -d, status and down; the file is untouched', async () => {
    const tmp = tempDir('dir-is-file', base);
    const file = join(tmp, 'notes.txt');
    writeFileSync(file, 'mine');
    await inTemp(tmp, async () => {
      for (const [args, message] of [
        [upArgs(file, port + 30, ['-d']), `the state folder ${file} is a file, not a folder`],
        [upArgs(join(file, 'lab'), port + 30, []), `the state folder ${join(file, 'lab')} would lie under ${file}, which is a file`],
        [['status', '--dir', file], `the state folder ${file} is a file`],
        [['down', '--dir', file], `the state folder ${file} is a file`],
      ] as const) {
        const r = await lab(tmp, [...args]);
        assert.equal(r.code, 2, show(r));
        assert.ok(r.stderr.includes(message), show(r));
        assert.doesNotMatch(r.stderr, /internal error/);
      }
      await assertNothingLeft(tmp);
    });
    assert.equal(readFileSync(file, 'utf8'), 'mine');
    assert.deepEqual(readdirSync(tmp), ['notes.txt']);
  });

  test('up -d takes its dir from etcd-lab.yaml or -c FILE unless --dir is given, and creates no other dir', async () => {
    const tmp = tempDir('yaml', base);
    const yaml = `dir: from-yaml\nports: ${port + 70}\nprofile: fast\n`;
    await inTemp(tmp, async () => {
      const runs: [string, string[], string][] = [
        ['etcd-lab.yaml', ['up', '-d'], 'from-yaml'],
        ['etcd-lab.yaml', ['up', '-d', '--dir', 'from-flag'], 'from-flag'],
        ['other.yaml', ['up', '-d', '-c', 'other.yaml'], 'from-yaml'],
      ];
      const made = new Set<string>();
      for (const [file, args, dir] of runs) {
        rmSync(join(tmp, 'etcd-lab.yaml'), { force: true });
        writeFileSync(join(tmp, file), yaml);
        const r = await lab(tmp, args);
        assert.equal(r.code, 0, show(r));
        assert.ok(existsSync(join(tmp, dir, 'state.json')), `${args.join(' ')}: no cluster in ${dir}`);
        made.add(dir);
        assert.deepEqual(readdirSync(tmp).filter((e) => !e.endsWith('.yaml')).sort(), [...made].sort(), `${args.join(' ')} made another dir`);
        assert.equal((await lab(tmp, ['down', '--dir', dir])).code, 0);
      }
    });
  });

  test('--etcd /bin/true is refused as not etcd; nothing is started or written', async () => {
    const tmp = tempDir('not-etcd', base);
    const dir = join(tmp, 'lab');
    await inTemp(tmp, async () => {
      const r = await lab(tmp, upArgs(dir, port + 30, ['-d', '--etcd', '/bin/true']));
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /error: --etcd \/bin\/true does not look like etcd: `--version` printed "true \(GNU coreutils\)/);
      assert.match(r.stderr, /hint: Point --etcd .* at the etcd server binary/);
      assert.ok(!existsSync(dir), `${dir} was created`);
    });
  });

  for (const [k, mode] of (['-d', 'foreground'] as const).entries()) {
    test(`a cluster that cannot become ready (${mode}): non-zero exit, the member's last lines, nothing left`, async () => {
      const tmp = tempDir(`not-ready${mode}`, base);
      const dir = join(tmp, 'lab');
      const p = port + 40 + 10 * k;
      await inTemp(
        tmp,
        async () => {
          const r = await lab(tmp, upArgs(dir, p, [...(mode === '-d' ? ['-d'] : []), '--extra-arg=--bogus-flag']));
          assert.equal(r.code, 1, show(r));
          assert.match(r.stderr, /error: member m1 exited \(exit code 2\) while waiting for its peer port to answer/);
          assert.match(r.stderr, /^ {2}flag provided but not defined: -bogus-flag$/m);
          assert.match(r.stderr, /hint: the log of m1 is .*m1\.log/);
          // etcd's usage text is not shown, and the exit is reported once.
          assert.doesNotMatch(r.stderr, /grpc-proxy|Usage:/);
          assert.doesNotMatch(r.stderr, /exited on its own/);
          assert.doesNotMatch(r.stdout, /cluster ready/);
          await assertNothingLeft(tmp);
          // No cluster was made: no plan or state is left to be taken for a stopped one, only the logs that say why.
          assert.deepEqual(readdirSync(dir).filter((f) => f !== 'supervisor.log').sort(), ['logs']);
          const st = await lab(tmp, ['status', '--dir', dir]);
          assert.equal(st.code, 3, show(st));
          assert.match(st.stderr, /no etcd-lab cluster in/);
          if (mode === '-d') {
            assert.doesNotMatch(readFileSync(join(dir, 'supervisor.log'), 'utf8'), /went away/);
            // The failed attempt leaves the dir usable.
            await upDetached(tmp, dir, p);
            await down(tmp, dir);
          }
        },
        async () => {
          await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
        },
      );
    });
  }
});
