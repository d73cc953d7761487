// `etcd-lab member replace --to` on namespace hosts: a running `netns up --spares 1 --dir D` serves D's control
// socket; `member replace m2 --to s1 --dir D` moves m2 to the free host (new peer URL, same member ID, its data);
// bad requests are refused with what to do; Ctrl-C removes the hosts, the lock and the socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, spawnCli, cliArgs } from '../helpers/cli.js';
import { NETNS_PREFIX, listNetns } from '../../src/supervisor/netns.js';
import { processesMentioning } from '../helpers/procs.js';
import { ETCD_PATH } from '../helpers/etcd-under-test.js';

const skip = process.platform !== 'linux' ? 'network namespaces need Linux' : process.getuid?.() !== 0 ? 'network namespaces need root' : false;
const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-netns-member-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!skip) spawnSync(process.execPath, cliArgs(['netns', 'cleanup']), { timeout: 30000 });
  rmSync(dir, { recursive: true, force: true });
});

const etcdctl = existsSync(join(dirname(ETCD_PATH), 'etcdctl')) ? join(dirname(ETCD_PATH), 'etcdctl') : 'etcdctl';
function ctl(ns: string, endpoint: string, args: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns, etcdctl, '--dial-timeout=2s', '--command-timeout=3s', '--endpoints', endpoint, ...args], { encoding: 'utf8', timeout: 20000, env: { ...process.env, ETCDCTL_API: '3' } });
}

interface Listed { name: string; id: string; state: string; peerURLs: string[] }

test('member replace --to moves a member to another namespace host: new peer URL, same ID and data; refusals say what to do', { skip }, async () => {
  const child = spawnCli(['netns', 'up', '--spares', '1', '--dir', dir, '--etcd', ETCD_PATH]);
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!/Ctrl-C removes/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`netns up did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const nsOf = (host: string) => new RegExp(`^\\s+${host}\\s+(etcdlab-\\S+)`, 'm').exec(out)![1]!;
  assert.match(out, /s1\s+etcdlab-\S+-s1\s+10\.77\.0\.14\s+\(free host\)/);
  const owner = Number(/etcdlab-(\d+)-/.exec(out)![1]);

  const list = async (): Promise<Listed[]> => {
    const r = await runCli(['member', 'list', '--dir', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Listed[];
  };
  const before = await list();
  assert.deepEqual(before.map((m) => m.name), ['m1', 'm2', 'm3']);
  const m2 = before.find((m) => m.name === 'm2')!;
  assert.deepEqual(m2.peerURLs, ['http://10.77.0.12:2380']);
  assert.equal(ctl(nsOf('m1'), 'http://10.77.0.11:2379', ['put', '/moved/key', 'before-the-move']).status, 0);

  const noTo = await runCli(['member', 'replace', 'm2', '--dir', dir]);
  assert.equal(noTo.code, 2, noTo.stderr);
  assert.match(noTo.stderr, /error: on namespace hosts, replace moves m2 to another host: name it with --to\nhint: free hosts: s1 \(10\.77\.0\.14\)/);
  const nowhere = await runCli(['member', 'replace', 'm2', '--to', 's9', '--dir', dir]);
  assert.equal(nowhere.code, 2, nowhere.stderr);
  assert.match(nowhere.stderr, /"s9" is not a host of this run; free hosts: s1 \(10\.77\.0\.14\)/);
  const taken = await runCli(['member', 'replace', 'm2', '--to', 'm3', '--dir', dir]);
  assert.equal(taken.code, 2, taken.stderr);
  assert.match(taken.stderr, /m3 \(10\.77\.0\.13\) already runs m3: one member per host/);
  const fresh = await runCli(['member', 'replace', 'm2', '--fresh', '--to', 's1', '--dir', dir]);
  assert.equal(fresh.code, 2, fresh.stderr);
  assert.match(fresh.stderr, /--fresh is not available on namespace hosts/);

  const moved = await runCli(['member', 'replace', 'm2', '--to', '10.77.0.14', '--dir', dir, '--json']);
  assert.equal(moved.code, 0, moved.stderr);
  const r = JSON.parse(moved.stdout) as { action: string; id: string; peerURL: string; previousPeerURL: string; clientURL: string };
  assert.equal(r.action, 'replace');
  assert.equal(r.id, m2.id, 'same member ID');
  assert.equal(r.previousPeerURL, 'http://10.77.0.12:2380');
  assert.equal(r.peerURL, 'http://10.77.0.14:2380');
  assert.equal(r.clientURL, 'http://10.77.0.14:2379');

  const after = await list();
  const m2After = after.find((m) => m.name === 'm2')!;
  assert.equal(m2After.id, m2.id);
  assert.deepEqual(m2After.peerURLs, ['http://10.77.0.14:2380']);
  assert.equal(m2After.state, 'running on s1');
  // Its data came along: a serializable read served by m2 alone, on its new host, has the key written before.
  const got = ctl(nsOf('s1'), 'http://10.77.0.14:2379', ['get', '/moved/key', '--print-value-only', '--consistency=s']);
  assert.equal(got.stdout.trim(), 'before-the-move', got.stderr);
  // Nothing runs on the old host any more, and the cluster takes writes through the moved member.
  assert.equal(spawnSync('ip', ['netns', 'pids', nsOf('m2')], { encoding: 'utf8' }).stdout.trim(), '');
  assert.equal(ctl(nsOf('s1'), 'http://10.77.0.14:2379', ['put', '/moved/after', 'yes']).status, 0);
  const again = await runCli(['member', 'replace', 'm2', '--to', 's1', '--dir', dir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /m2 already runs on s1 \(10\.77\.0\.14\)/);

  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.deepEqual(listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${owner}-`)), []);
  assert.deepEqual(readdirSync(dir), [], 'no lock and no socket left in the dir');
  // Its members ran with the cluster token etcd-lab-netns-<owner pid>: none is left.
  assert.deepEqual(processesMentioning(`etcd-lab-netns-${owner} `), []);
  const gone = await runCli(['member', 'list', '--dir', dir]);
  assert.equal(gone.code !== 0, true);
  assert.match(gone.stderr, /no etcd-lab supervisor is running/);
});
