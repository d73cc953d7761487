// TLS clusters through the CLI: certificates made once in <dir>/pki, https + client-cert auth on both ports, etcdctl
// with the generated files, resume, chaos mode (symmetric cuts only), and a TLS request on a non-TLS dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { EtcdClient, EtcdRequestError } from '../../src/etcd/client.js';
import type { StatusReport } from '../../src/supervisor/status.js';
import { settled } from '../helpers/settled.js';
import { until } from '../helpers/until.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-lab-tls-'));
const plainDir = join(root, 'plain');
const tlsDir = join(root, 'tls');
const chaosDir = join(root, 'chaos');
let base = 0;

interface TlsFiles {
  ETCDCTL_ENDPOINTS: string;
  ETCDCTL_CACERT: string;
  ETCDCTL_CERT: string;
  ETCDCTL_KEY: string;
}

function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function cli(dir: string, ...args: string[]): Promise<CliResult> {
  return runCli([...args, '--dir', dir], { cwd: root, timeoutMs: 60_000 });
}

async function status(dir: string): Promise<StatusReport> {
  const r = await cli(dir, 'status', '--json');
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout) as StatusReport;
}

function etcdctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toUpperCase().startsWith('ETCDCTL_')) env[k] = v;
  env.ETCDCTL_API = '3';
  return new Promise((done) => {
    execFile('etcdctl', ['--dial-timeout', '2s', '--command-timeout', '3s', ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

function withFiles(f: TlsFiles): string[] {
  return ['--endpoints', f.ETCDCTL_ENDPOINTS, '--cacert', f.ETCDCTL_CACERT, '--cert', f.ETCDCTL_CERT, '--key', f.ETCDCTL_KEY];
}

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Each member's own view of the leader (null when it has none or does not answer), over TLS. */
async function views(s: StatusReport, f: TlsFiles): Promise<Record<string, string | null>> {
  const tls = { ca: readFileSync(f.ETCDCTL_CACERT), cert: readFileSync(f.ETCDCTL_CERT), key: readFileSync(f.ETCDCTL_KEY) };
  const out: Record<string, string | null> = {};
  await Promise.all(
    s.members.map(async (m) => {
      const c = new EtcdClient(m.clientURL, { timeoutMs: 2000, tls });
      try {
        out[m.name] = (await c.status()).leader;
      } catch {
        out[m.name] = null;
      } finally {
        c.close();
      }
    }),
  );
  return out;
}

before(async () => {
  base = await claimPorts();
});

after(async () => {
  for (const dir of [tlsDir, chaosDir, plainDir]) await cli(dir, 'down').catch(() => undefined);
  const left = await waitNoProcesses(root, 10_000);
  killMentioning(root);
  rmSync(root, { recursive: true, force: true });
  assert.deepEqual(left, [], 'no process may survive');
});

test('up --tls: https with client certificates, etcdctl with the generated files, keys 0600, plain http and no-cert refused; resume reuses the certificates', async () => {
  const up = await cli(tlsDir, 'up', '-d', '--tls', '--ports', String(base));
  assert.equal(up.code, 0, show(up));
  assert.match(up.stdout, /cluster ready in \d+ ms: 3 members, quorum 2, leader m\d, TLS/);
  assert.match(up.stderr, /made a CA, a client certificate and member certificates in .*\/pki/);
  assert.match(up.stdout, /export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https:\/\/127\.0\.0\.1:\d+,.* ETCDCTL_CACERT=\S+ca\.crt ETCDCTL_CERT=\S+client\.crt ETCDCTL_KEY=\S+client\.key/);

  const s = await settled(() => status(tlsDir));
  assert.ok(s.leader, 'status --json names a leader');
  assert.ok(s.members.every((m) => m.clientURL.startsWith('https://127.0.0.1:') && m.peerURL.startsWith('https://') && m.raftTerm !== null));

  const env = await cli(tlsDir, 'env', '--format', 'json');
  assert.equal(env.code, 0, show(env));
  const files = JSON.parse(env.stdout) as TlsFiles;
  assert.equal(files.ETCDCTL_CACERT, join(tlsDir, 'pki', 'ca.crt'));

  const put = await etcdctl([...withFiles(files), 'put', 'tls/k', 'v1']);
  assert.equal(put.code, 0, put.stderr);
  const get = await etcdctl([...withFiles(files), 'get', 'tls/k', '--print-value-only']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.stdout.trim(), 'v1');
  const health = await etcdctl([...withFiles(files), 'endpoint', 'health']);
  assert.equal(health.code, 0, health.stderr);
  assert.equal(health.stdout.match(/is healthy/g)?.length ?? health.stderr.match(/is healthy/g)?.length, 3);

  // Refused: plain http on the client port, https without a client certificate, and etcdctl without one.
  const url = s.members[0]!.clientURL;
  const plain = new EtcdClient(url.replace('https:', 'http:'), { timeoutMs: 1000 });
  await assert.rejects(plain.health(), (e: EtcdRequestError) => e.kind === 'http' || e.kind === 'network');
  plain.close();
  const noCert = new EtcdClient(url, { timeoutMs: 1000, tls: { ca: readFileSync(files.ETCDCTL_CACERT) } });
  await assert.rejects(noCert.status(), (e: EtcdRequestError) => e.kind === 'network');
  noCert.close();
  const withCert = new EtcdClient(url, {
    timeoutMs: 1000,
    tls: { ca: readFileSync(files.ETCDCTL_CACERT), cert: readFileSync(files.ETCDCTL_CERT), key: readFileSync(files.ETCDCTL_KEY) },
  });
  assert.equal((await withCert.get('tls/k')).value, 'v1');
  withCert.close();
  const anon = await etcdctl(['--endpoints', files.ETCDCTL_ENDPOINTS, '--cacert', files.ETCDCTL_CACERT, 'get', 'tls/k']);
  assert.notEqual(anon.code, 0, 'etcdctl without a client certificate must be refused');

  const pki = join(tlsDir, 'pki');
  for (const key of ['ca.key', 'client.key', 'm1/server.key', 'm1/peer.key', 'm3/peer.key']) {
    assert.equal(statSync(join(pki, key)).mode & 0o777, 0o600, key);
  }
  assert.equal(statSync(pki).mode & 0o777, 0o700);
  const before = { ca: sha(join(pki, 'ca.crt')), m2: sha(join(pki, 'm2/server.crt')), client: sha(join(pki, 'client.crt')) };

  const snap = await cli(tlsDir, 'snapshot', 'save', join(root, 'tls.db'));
  assert.equal(snap.code, 0, show(snap));

  const down = await cli(tlsDir, 'down');
  assert.equal(down.code, 0, show(down));
  const again = await cli(tlsDir, 'up', '-d');
  assert.equal(again.code, 0, show(again));
  assert.doesNotMatch(again.stderr, /made a CA/);
  assert.match(again.stdout, /, TLS\n/);
  assert.deepEqual({ ca: sha(join(pki, 'ca.crt')), m2: sha(join(pki, 'm2/server.crt')), client: sha(join(pki, 'client.crt')) }, before);
  const after = await etcdctl([...withFiles(files), 'get', 'tls/k', '--print-value-only']);
  assert.equal(after.stdout.trim(), 'v1', after.stderr);
  assert.equal((await cli(tlsDir, 'down')).code, 0);
});

test('--tls on a dir whose cluster was made without it: DIR_MISMATCH with a --fresh hint', async () => {
  const up = await cli(plainDir, 'up', '-d', '--ports', String(base + 20));
  assert.equal(up.code, 0, show(up));
  assert.equal((await cli(plainDir, 'down')).code, 0);
  const r = await cli(plainDir, 'up', '-d', '--tls');
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /error: .*\/plain holds a cluster created without --tls; its client and peer URLs cannot change scheme in place/);
  assert.match(r.stderr, /hint: start it over with TLS: etcd-lab up --fresh --tls --dir /);
  assert.deepEqual(await waitNoProcesses(plainDir, 2000), [], 'nothing started');
});

test('up --tls --chaos: isolate the leader -> a new leader, only symmetric cuts, heal converges', async () => {
  const up = await cli(chaosDir, 'up', '-d', '--tls', '--chaos', '--ports', String(base + 40));
  assert.equal(up.code, 0, show(up));
  assert.match(up.stdout, /chaos mode, TLS/);
  const env = await cli(chaosDir, 'env', '--format', 'json');
  const files = JSON.parse(env.stdout) as TlsFiles;
  const s = await settled(() => status(chaosDir));
  const iso = await cli(chaosDir, 'isolate', 'leader');
  assert.equal(iso.code, 0, show(iso));
  // The member the command took for the leader, as its first line names it (leadership may move between a status
  // and the command).
  const old = /^\S+: (m\d)$/m.exec(iso.stdout)?.[1];
  assert.ok(old, iso.stdout);
  assert.match(iso.stdout, /note: TLS peers: .*only symmetric cuts/);
  const next = await until('a new leader among the others', async () => {
    const st = await status(chaosDir);
    return st.leader && st.leader !== old ? st.leader : undefined;
  });
  assert.notEqual(next, old);
  await until('the isolated member to lose its leader', async () => ((await views(s, files))[old] === null ? true : undefined));
  assert.equal((await cli(chaosDir, 'heal')).code, 0);
  await until('all members to agree on one leader again', async () => {
    const v = Object.values(await views(s, files));
    return v.every((x) => x !== null && x === v[0]) ? true : undefined;
  });

  // One direction alone stops nothing under TLS (a CONNECT tunnel carries both): the output says so, and it holds.
  // It holds if, 6 election timeouts after the cut, the follower still names the leader it was cut from. If that
  // leader stepped down meanwhile (it can, on its own, under load), the round proves nothing: heal, and try again
  // with the leader of the moment (3 rounds at most).
  let now = await status(chaosDir);
  let leader = '';
  let follower = '';
  let leaderId: string | null = null;
  let heard: boolean | null = null;
  for (let round = 0; round < 3 && heard === null; round++) {
    now = await settled(() => status(chaosDir));
    leader = now.leader!;
    follower = now.members.find((m) => m.name !== leader)!.name;
    leaderId = now.members.find((m) => m.name === leader)!.id;
    const oneWay = await cli(chaosDir, 'cut', `${leader}->${follower}`);
    assert.equal(oneWay.code, 0, show(oneWay));
    assert.match(oneWay.stdout, new RegExp(`note: TLS peers: .*only symmetric cuts are possible: ${leader}->${follower} stops nothing until ${follower}->${leader} is cut too`));
    await new Promise((r) => setTimeout(r, 600)); // 6 election timeouts of the fast profile
    const v = await views(now, files);
    if (v[leader] === leaderId) heard = v[follower] === leaderId;
    else {
      assert.equal((await cli(chaosDir, 'heal')).code, 0);
      await until('all members to agree on one leader', async () => {
        const all = Object.values(await views(now, files));
        return all.every((x) => x !== null && x === all[0]) ? true : undefined;
      });
    }
  }
  assert.equal(heard, true, heard === null ? 'the leader stepped down in each of 3 rounds: nothing shown' : 'a one-way cut under TLS cut the follower off its leader');
  const back = await cli(chaosDir, 'cut', `${follower}->${leader}`);
  assert.equal(back.code, 0, show(back));
  assert.match(back.stdout, new RegExp(`note: TLS peers: ${follower} and ${leader} are now cut both ways`));
  await until('the follower to lose its leader once both directions are cut', async () => ((await views(now, files))[follower] !== leaderId ? true : undefined));
  assert.equal((await cli(chaosDir, 'heal')).code, 0);
  await until('all members to agree again', async () => {
    const v = Object.values(await views(now, files));
    return v.every((x) => x !== null && x === v[0]) ? true : undefined;
  });
  const put = await etcdctl([...withFiles(files), 'put', 'chaos/k', 'v']);
  assert.equal(put.code, 0, put.stderr);
  assert.equal((await cli(chaosDir, 'down')).code, 0);
});
