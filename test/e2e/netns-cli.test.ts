// `etcd-lab netns`: the partition demo passes on namespace hosts; Ctrl-C on a running `netns up` removes every
// namespace and process; without root the command refuses before it makes anything.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runCli, spawnCli, cliArgs } from '../helpers/cli.js';
import { NETNS_PREFIX, listNetns } from '../../src/supervisor/netns.js';
import { processesMentioning } from '../helpers/procs.js';
import { otherEtcd } from '../helpers/other-etcd.js';

const skip = process.platform !== 'linux' ? 'network namespaces need Linux' : process.getuid?.() !== 0 ? 'network namespaces need root' : false;
const ours = (pid: number) => listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${pid}-`));
const pids: number[] = [];
after(() => {
  for (const p of pids) {
    // Anything a failed test left: the CLI's own sweeper removes namespaces of processes that are gone.
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (!skip) spawnSync(process.execPath, cliArgs(['netns', 'cleanup']), { timeout: 30000 });
});

test('netns partition: the demo passes with a kernel-level partition', { skip }, async () => {
  const r = await runCli(['netns', 'partition', '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout);
  assert.equal(out.passed, true);
  assert.ok(out.newLeader !== out.oldLeader);
  assert.ok(out.steps.length >= 6);
});

// DNS bootstrap (etcd 3.5+) adds dnsmasq to what must be gone after Ctrl-C.
const dnsEtcd = otherEtcd('3.6') ?? otherEtcd('3.5');
test('Ctrl-C on netns up removes every namespace and process it made', { skip: skip || (!dnsEtcd && 'no etcd 3.5 or 3.6 for DNS bootstrap') }, async () => {
  const child = spawnCli(['netns', 'up', '--bootstrap', 'dns', '--etcd', dnsEtcd!.path]);
  pids.push(child.pid!);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!/Ctrl-C removes/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`netns up did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(out, /leader m\d/);
  // The CLI runs under tsx in a child of this process: its pid owns the namespaces.
  const owner = Number(/etcdlab-(\d+)-/.exec(out)![1]);
  assert.ok(ours(owner).length >= 4, `namespaces while running: ${ours(owner).join(', ')}`);
  // Its members carry the run's cluster token, etcd-lab-netns-<owner pid>: other runs on the machine are not ours to judge.
  const token = new RegExp(`--initial-cluster-token etcd-lab-netns-${owner}(\\s|$)`);
  const members = (): unknown[] => processesMentioning('etcd-lab-netns-').filter((p) => token.test(p.cmd));
  assert.ok(members().length >= 3, 'its members are not found by their cluster token');
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.deepEqual(ours(owner), []);
  assert.deepEqual(members(), []);
});

test('netns up without root refuses before making anything', { skip: (process.platform !== 'linux' || spawnSync('setpriv', ['--help']).status !== 0) && 'needs Linux and setpriv' }, () => {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...cliArgs(['netns', 'up', '--check'])], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', HOME: '/tmp' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error: network-namespace hosts need root/);
  assert.match(r.stderr, /hint: run it as root/);
});
