// The CLI end to end as a user drives it from separate shells: up -d, a real client, status, run, logs, down;
// and the monitor restarting (or not) a member killed from outside.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
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
  spawnCli,
  settledStatus,
  statusJson,
  supervisorPid,
  tempDir,
  upDetached,
  type StatusJson,
} from '../helpers/lab-cli.js';
import { waitFor } from '../helpers/until.js';

const base = tempDir('etcd-lab-cli-up');
const port = await claimPorts();
const MEMBER_KEYS = ['name', 'state', 'pid', 'id', 'clientURL', 'peerURL', 'isLeader', 'raftTerm', 'raftIndex', 'revision', 'dbSize', 'version'];

after(async () => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

function member(s: StatusJson, name: string) {
  const m = s.members.find((x) => x.name === name);
  assert.ok(m, `no ${name} in ${JSON.stringify(s)}`);
  return m;
}

describe('etcd-lab CLI', { concurrency: true }, () => {
  test('up -d, client, status, run stop/start/list/status, logs, logs -f, down, down again', async (t) => {
    const tmp = tempDir('journey', base);
    const dir = join(tmp, 'lab');
    const p = port;
    const spawned: ReturnType<typeof spawnCli>[] = [];
    await inTemp(
      tmp,
      async () => {
        const up = await upDetached(tmp, dir, p, ['-n', '3']);
        console.log(`up -d, 3 members: ${up.wallMs} ms wall (${/cluster ready in (\d+) ms/.exec(up.stdout)?.[1]} ms to ready as the CLI reports)`);
        const endpoints = [0, 2, 4].map((o) => `http://127.0.0.1:${p + o}`);

        await t.test('up prints the endpoints and the export line', () => {
          assert.match(up.stdout, /^cluster ready in \d+ ms: 3 members, quorum 2, leader m[123]$/m);
          for (const [i, e] of endpoints.entries()) assert.match(up.stdout, new RegExp(`^  m${i + 1}  ${e}`, 'm'));
          assert.equal(exportedEndpoints(up.stdout), endpoints.join(','));
          assert.match(up.stdout, new RegExp(`supervisor pid ${supervisorPid(dir)}\\b`));
        });

        await t.test("the ready figure counts from the command's start: past the supervisor's own share, within the wall time", async () => {
          const shown = Number(/^cluster ready in (\d+) ms/m.exec(up.stdout)?.[1]);
          // The supervisor logs its line once it has the command's answer, which may be after the command ended.
          const line = /cluster ready in (\d+) ms from the command's start \(this supervisor's share (\d+) ms\)/;
          const deadline = Date.now() + 5000;
          let log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
          while (!line.test(log) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 20));
            log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
          }
          const m = line.exec(log);
          assert.ok(m, `supervisor.log has no ready line:\n${log}`);
          assert.equal(Number(m[1]), shown, 'the CLI prints what the supervisor measured');
          // The CLI's own Node start and planning come before the supervisor's start(): a figure counted from the
          // supervisor's start would equal its share.
          assert.ok(shown > Number(m[2]), `ready in ${shown} ms is not more than the supervisor's share ${m[2]} ms`);
          assert.ok(shown <= up.wallMs, `ready in ${shown} ms, but the command took ${up.wallMs} ms`);
        });

        await t.test('a real client (etcdctl) with the exported endpoints can put and get', async () => {
          const put = await etcdctl(exportedEndpoints(up.stdout), ['put', 'greeting', 'hello']);
          assert.equal(put.code, 0, put.stderr);
          const get = await etcdctl(exportedEndpoints(up.stdout), ['get', 'greeting', '--print-value-only']);
          assert.equal(get.code, 0, get.stderr);
          assert.equal(get.stdout.trim(), 'hello');
        });

        let before!: StatusJson;
        await t.test('status --json has exactly the documented shape', async () => {
          before = await settledStatus(tmp, dir, (x) => x.clusterVersion !== null);
          assert.deepEqual(Object.keys(before).sort(), ['clusterVersion', 'dir', 'leader', 'leaderTerm', 'members']);
          assert.match(before.clusterVersion ?? '', /^3\.\d+\.0$/);
          assert.equal(before.dir, dir);
          assert.deepEqual(before.members.map((m) => m.name), ['m1', 'm2', 'm3']);
          assert.ok(before.leader !== null && ['m1', 'm2', 'm3'].includes(before.leader), `leader ${before.leader}`);
          for (const [i, m] of before.members.entries()) {
            // isLearner is there too: kept, and false for a voting member.
            assert.deepEqual(Object.keys(m).sort(), [...MEMBER_KEYS, 'isLearner'].sort());
            assert.equal(m.isLearner, false);
            assert.equal(m.state, 'running');
            assert.ok(Number.isInteger(m.pid) && m.pid! > 0);
            assert.equal(typeof m.id, 'string');
            assert.match(m.id!, /^[0-9a-f]{1,16}$/);
            assert.match(m.version ?? '', /^3\.\d+\.\d+/);
            assert.equal(m.clientURL, endpoints[i]);
            assert.equal(m.peerURL, `http://127.0.0.1:${p + 2 * i + 1}`);
            assert.equal(m.isLeader, m.name === before.leader);
            for (const k of ['raftTerm', 'raftIndex', 'revision'] as const) assert.match(m[k] ?? '', /^\d+$/, `${m.name}.${k}`);
            assert.ok(typeof m.dbSize === 'number' && m.dbSize > 0);
          }
          assert.equal(new Set(before.members.map((m) => m.id)).size, 3);
        });

        await t.test('status prints a table', async () => {
          // A reading that shows a leader (an election in between shows none: the table is not what is tested).
          const leaders = (out: string): number => out.split('\n').filter((l) => /^m\d\s+\d+\s+running\s+\S+\s+\*\s/.test(l)).length;
          const r = await waitFor(() => lab(tmp, ['status', '--dir', dir]), (x) => x.code !== 0 || leaders(x.stdout) > 0, 'a status table with a leader');
          assert.equal(r.code, 0, show(r));
          const lines = r.stdout.trimEnd().split('\n');
          assert.match(lines[0]!, /^NAME\s+PID\s+STATE\s+CLIENT URL\s+LEADER\s+TERM\s+INDEX\s+REVISION\s+DB SIZE\s+VERSION$/);
          // One row per member, and one leader mark (which member holds it may change between two readings).
          for (const m of before.members) {
            assert.match(r.stdout, new RegExp(`^${m.name}\\s+${m.pid}\\s+running\\s+${m.clientURL}\\s+\\*?\\s+\\d+`, 'm'));
          }
          assert.equal(leaders(r.stdout), 1, r.stdout);
        });

        await t.test('run stop m2: status shows it stopped with nulls, the cluster keeps a leader', async () => {
          const r = await lab(tmp, ['run', 'stop', 'm2', '--dir', dir]);
          assert.equal(r.code, 0, show(r));
          assert.equal(r.stdout, 'm2: stopped\n');
          const s = await waitFor(() => statusJson(tmp, dir), (s) => s.leader !== null, 'a leader without m2');
          assert.notEqual(s.leader, 'm2');
          assert.deepEqual(member(s, 'm2'), {
            name: 'm2',
            state: 'stopped',
            pid: null,
            id: null,
            clientURL: endpoints[1],
            peerURL: `http://127.0.0.1:${p + 3}`,
            isLearner: false,
            isLeader: false,
            raftTerm: null,
            raftIndex: null,
            revision: null,
            dbSize: null,
            version: null,
          });
          const put = await etcdctl(`${endpoints[0]},${endpoints[2]}`, ['put', 'while-m2-down', 'yes']);
          assert.equal(put.code, 0, put.stderr);
        });

        await t.test('run list and run status', async () => {
          const list = await lab(tmp, ['run', 'list', '--dir', dir]);
          assert.equal(list.code, 0, show(list));
          assert.equal(list.stdout, 'm1\nm2\nm3\n');
          const st = await lab(tmp, ['run', 'status', '--dir', dir]);
          assert.equal(st.code, 0, show(st));
          assert.match(st.stdout, new RegExp(`^\\*m1  running  ${member(before, 'm1').pid}$`, 'm'));
          assert.match(st.stdout, /^ m2  stopped  -$/m);
          assert.match(st.stdout, /^\*m3  running  \d+$/m);
        });

        await t.test('run start m2: back with a new pid, the same member ID, and the data written meanwhile', async () => {
          const r = await lab(tmp, ['run', 'start', 'm2', '--dir', dir]);
          assert.equal(r.code, 0, show(r));
          assert.equal(r.stdout, 'm2: started\n');
          const s = await waitFor(() => statusJson(tmp, dir), (s) => member(s, 'm2').id !== null && s.leader !== null, 'm2 answering');
          const m2 = member(s, 'm2');
          assert.equal(m2.state, 'running');
          assert.notEqual(m2.pid, member(before, 'm2').pid);
          assert.equal(m2.id, member(before, 'm2').id);
          const get = await waitFor(
            () => etcdctl(endpoints[1]!, ['get', 'while-m2-down', '--print-value-only', '--consistency=s']),
            (g) => g.stdout.trim() === 'yes',
            'm2 to catch up',
          );
          assert.equal(get.code, 0);
        });

        await t.test('logs m1 shows readable lines', async () => {
          const r = await lab(tmp, ['logs', 'm1', '--dir', dir, '-n', '20']);
          assert.equal(r.code, 0, show(r));
          const lines = r.stdout.trimEnd().split('\n');
          assert.equal(lines.length, 20);
          // zap lines are rewritten as `LEVEL  message key=value`; etcd's few other stderr lines (grpc) pass as they are.
          for (const l of lines) assert.match(l, /^m1 \| \S/, l);
          assert.ok(lines.filter((l) => /^m1 \| (DEBUG|INFO|WARN|ERROR) +\S/.test(l)).length >= 10, r.stdout);
          assert.ok(!r.stdout.includes('{"level"'), 'raw JSON in readable logs');
          const raw = await lab(tmp, ['logs', 'm1', '--raw', '--dir', dir, '-n', '1']);
          assert.match(raw.stdout, /^m1 \| \{"level":/);
        });

        await t.test('logs -f streams new lines, and ends cleanly when the cluster goes down', async () => {
          const follower = spawnCli(['logs', '-f', '-n', '1', '--dir', dir], { cwd: tmp });
          spawned.push(follower);
          let out = '';
          let err = '';
          follower.stdout!.on('data', (d) => (out += d));
          follower.stderr!.on('data', (d) => (err += d));
          const exited = new Promise<number | null>((r) => follower.once('exit', (code) => r(code)));
          await waitFor(() => out, (o) => o.includes('\n'), 'the past line');
          const past = out;
          // logs -f subscribes before it reads the files, so the first stop of m3 shows, without a second try.
          const seen = (): boolean => /^m3 \| INFO  received signal; shutting down/m.test(out.slice(past.length));
          const stop = await lab(tmp, ['run', 'stop', 'm3', '--dir', dir]);
          assert.equal(stop.code, 0, show(stop));
          await waitFor(seen, Boolean, 'the stop of m3 in the stream', 5000);
          const streamed = out.slice(past.length);
          for (const l of streamed.trimEnd().split('\n')) assert.match(l, /^m[123] \| \S/, l);

          const down = await lab(tmp, ['down', '--dir', dir]);
          assert.equal(down.code, 0, show(down));
          assert.match(down.stderr, new RegExp(`stopped the cluster in ${dir}`));
          const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]);
          assert.equal(code, 0, `logs -f after down: ${code}\n${err}`);
          assert.equal(err, '');
          await assertNothingLeft(tmp);
        });

        await t.test('down again: exit 3, nothing is running; status shows the stopped cluster', async () => {
          const again = await lab(tmp, ['down', '--dir', dir]);
          assert.equal(again.code, 3, show(again));
          assert.match(again.stderr, /nothing is running/);
          const st = await lab(tmp, ['status', '--dir', dir]);
          assert.equal(st.code, 0, show(st));
          assert.match(st.stdout, /^m1\s+-\s+stopped/m);
          assert.match(st.stdout, /the cluster is stopped/);
        });
      },
      async () => {
        for (const c of spawned) c.kill('SIGKILL');
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });

  test('monitor: under --restart on-failure a member SIGKILLed from outside comes back', async () => {
    const tmp = tempDir('restart', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await upDetached(tmp, dir, port + 10);
        const s = await settledStatus(tmp, dir);
        const old = member(s, 'm2');
        process.kill(old.pid!, 'SIGKILL');
        const back = await waitFor(
          () => statusJson(tmp, dir),
          (x) => member(x, 'm2').state === 'running' && member(x, 'm2').pid !== old.pid && member(x, 'm2').id !== null,
          'm2 restarted',
        );
        assert.equal(member(back, 'm2').id, old.id);
        const log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
        assert.match(log, /m2 exited on its own \(killed by SIGKILL\)/);
        assert.match(log, /restarting m2 in \d+ ms \(attempt 1\)/);
        const down = await lab(tmp, ['down', '--dir', dir]);
        assert.equal(down.code, 0, show(down));
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });

  test('monitor: under --restart never a member SIGKILLed from outside stays exited', async () => {
    const tmp = tempDir('never', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        await upDetached(tmp, dir, port + 20, ['--restart', 'never']);
        const old = member(await statusJson(tmp, dir), 'm2');
        process.kill(old.pid!, 'SIGKILL');
        await waitFor(() => statusJson(tmp, dir), (x) => member(x, 'm2').state === 'exited', 'm2 exited');
        await new Promise((r) => setTimeout(r, 800)); // longer than the first restart backoff
        // The others elect a leader if m2 was it (bounded); m2 stays down throughout.
        const s = await settledStatus(tmp, dir);
        assert.equal(member(s, 'm2').state, 'exited');
        assert.equal(member(s, 'm2').pid, null);
        assert.notEqual(s.leader, 'm2');
        const log = readFileSync(join(dir, 'supervisor.log'), 'utf8');
        assert.match(log, /m2 exited on its own \(killed by SIGKILL\)/);
        assert.doesNotMatch(log, /restarting m2/);
        const down = await lab(tmp, ['down', '--dir', dir]);
        assert.equal(down.code, 0, show(down));
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });

  test('up -n 5 -d: wall time, five members, one leader', async () => {
    const tmp = tempDir('five', base);
    const dir = join(tmp, 'lab');
    await inTemp(
      tmp,
      async () => {
        const up = await upDetached(tmp, dir, port + 30, ['-n', '5']);
        console.log(`up -d, 5 members: ${up.wallMs} ms wall (${/cluster ready in (\d+) ms/.exec(up.stdout)?.[1]} ms to ready as the CLI reports)`);
        assert.match(up.stdout, /cluster ready in \d+ ms: 5 members, quorum 3, leader m[1-5]/);
        const s = await settledStatus(tmp, dir);
        assert.equal(s.members.length, 5);
        assert.equal(s.members.filter((m) => m.isLeader).length, 1);
        assert.ok(s.members.every((m) => m.state === 'running'));
        const down = await lab(tmp, ['down', '--dir', dir]);
        assert.equal(down.code, 0, show(down));
      },
      async () => {
        await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
      },
    );
  });
});
