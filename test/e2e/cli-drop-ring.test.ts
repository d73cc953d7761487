// drop and the majorities ring on a real 5-member chaos-mode cluster, driven through the CLI, checked with a real client
// and with the proxies' own counters (etcd-lab links --json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { runCli } from '../helpers/cli.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import type { LinkStats } from '../../src/chaos/network.js';
import type { StatusReport } from '../../src/supervisor/status.js';
import { putSucceeds } from '../helpers/etcd-put.js';
import { until as untilWithin } from '../helpers/until.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-lab-drop-ring-'));
const dir = join(root, 'state');
let urls: Record<string, string> = {};

function cli(...args: string[]) {
  return runCli([...args, '--dir', dir], { cwd: root, timeoutMs: 60_000 });
}

async function status(): Promise<StatusReport> {
  const r = await cli('status', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as StatusReport;
}

async function links(): Promise<Map<string, LinkStats>> {
  const r = await cli('links', '--json');
  assert.equal(r.code, 0, r.stderr);
  return new Map((JSON.parse(r.stdout) as LinkStats[]).map((l) => [`${l.from}->${l.to}`, l]));
}

/** This file's waits: 15 s, polled every 100 ms (drop rates slow every answer down). */
const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> => untilWithin(what, fn, timeoutMs, 100);

const put = (name: string, key: string, timeoutMs?: number): Promise<boolean> => putSucceeds(urls[name]!, key, timeoutMs);

/** Heal, then wait until every member follows one leader at one revision. */
async function healAndConverge(): Promise<void> {
  assert.equal((await cli('heal')).code, 0);
  await until('every member to follow one leader at one revision', async () => {
    const s = await status();
    const revs = new Set(s.members.map((m) => m.revision));
    return s.leader !== null && revs.size === 1 && s.members.every((m) => m.state === 'running') ? true : undefined;
  }, 30_000);
}

before(async () => {
  const base = await claimPorts();
  const r = await cli('up', '-d', '--chaos', '-n', '5', '--profile', 'fast', '--ports', String(base));
  assert.equal(r.code, 0, r.stderr);
  urls = Object.fromEntries((await status()).members.map((m) => [m.name, m.clientURL]));
});

after(async () => {
  await runCli(['down', '--dir', dir], { timeoutMs: 30_000 }).catch(() => undefined);
  const left = await waitNoProcesses(root, 10_000);
  killMentioning(root);
  rmSync(root, { recursive: true, force: true });
  assert.deepEqual(left, [], 'no process may survive');
});

test('drop the leader 100%: like isolating it, the others elect a new leader; its proxy relays nothing and counts the drops', async () => {
  const old = await until('a leader', async () => (await status()).leader ?? undefined);
  const before = await links();
  const r = await cli('drop', old, '100%', '--json');
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { action: string; members: string[]; links: string[] };
  assert.equal(res.action, 'drop');
  assert.ok(res.links.includes(`${old} -100%-> ${Object.keys(urls).find((m) => m !== old)}`), res.links.join('\n'));
  const next = await until('a new leader among the others', async () => {
    const s = await status();
    return s.leader && s.leader !== old ? s.leader : undefined;
  });
  assert.notEqual(next, old);
  // The majority still writes (a write that meets one more election fails; the next one commits).
  await until('a write on the majority to commit', async () => ((await put(next, 'drop/majority', 2000)) ? true : undefined), 10_000);
  assert.equal(await put(old, 'drop/minority', 1000), false, 'the member whose every message is dropped cannot write');
  const afterwards = await links();
  let dropped = 0;
  for (const other of Object.keys(urls).filter((m) => m !== old)) {
    for (const key of [`${old}->${other}`, `${other}->${old}`]) {
      const b = before.get(key)!;
      const a = afterwards.get(key)!;
      assert.equal(a.rule, '-100%->');
      assert.equal(a.relayed - b.relayed, 0, `${key}: nothing relayed at 100%`);
      dropped += a.dropped - b.dropped;
    }
  }
  assert.ok(dropped > 0, 'the proxies counted dropped messages');
  await healAndConverge();
});

test('drop 30% of the leader\'s messages: the cluster keeps a leader, writes succeed, about 30% of the decisions are drops', async () => {
  const leader = await until('a leader', async () => (await status()).leader ?? undefined);
  const before = await links();
  const r = await cli('drop', leader, '30%', '--seed', '42');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${leader} -30%-> `));
  let ok = 0;
  const others = Object.keys(urls).filter((m) => m !== leader);
  for (let i = 0; i < 20; i++) if (await put(others[i % others.length]!, `drop30/${i}`, 3000)) ok++;
  assert.ok(ok >= 10, `only ${ok} of 20 writes succeeded with 30% drop`);
  const s = await until('a leader under 30% drop', async () => (await status()).leader ?? undefined);
  assert.ok(s);
  const afterwards = await links();
  let relayed = 0;
  let dropped = 0;
  for (const [key, a] of afterwards) {
    const b = before.get(key)!;
    relayed += a.relayed - b.relayed;
    dropped += a.dropped - b.dropped;
  }
  const share = dropped / (relayed + dropped);
  assert.ok(relayed + dropped >= 200, `too few decisions to measure: ${relayed + dropped}`);
  assert.ok(share > 0.2 && share < 0.4, `dropped share ${share.toFixed(3)} (relayed ${relayed}, dropped ${dropped})`);
  await healAndConverge();
});

test('majorities ring on 5: each member keeps exactly its 2 ring neighbours; the cluster still commits; heal converges', async (t) => {
  const order = ['m1', 'm2', 'm3', 'm4', 'm5'];
  const r = await cli('partition', '--ring', order.join(','), '--json');
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { action: string; members: string[]; links: string[]; note: string };
  assert.equal(res.action, 'ring');
  assert.equal(res.links.length, 10, 'each of the 5 members is cut from 2 others, both ways');
  assert.match(res.note, /^ring m1 - m2 - m3 - m4 - m5 - m1: each member sees a majority, each a different one/);
  const table = await links();
  for (let i = 0; i < 5; i++) {
    const m = order[i]!;
    const open = order.filter((o) => o !== m && table.get(`${m}->${o}`)!.rule === 'open');
    assert.deepEqual(open.sort(), [order[(i + 4) % 5]!, order[(i + 1) % 5]!].sort(), `${m} sees its ring neighbours only`);
  }
  const termOf = async (): Promise<number> => Math.max(...(await status()).members.map((m) => Number(m.raftTerm ?? 0)));
  const term0 = await termOf();
  let ok = 0;
  let failed = 0;
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < 4000; i++) {
    const results = await Promise.all(order.map((m) => put(m, `ring/${i}/${m}`, 1000)));
    for (const x of results) x ? ok++ : failed++;
  }
  const term1 = await termOf();
  t.diagnostic(`ring for 4 s: ${ok} puts ok, ${failed} failed or timed out; highest term ${term0} -> ${term1}`);
  assert.ok(ok > 0, 'a majority still sees the leader: some writes commit');
  assert.ok(failed > 0, 'members that do not see the leader cannot write through it');
  // A ring over the ring's own cuts plus m1's isolation: the earlier cuts stay, and the note says who lost its majority.
  assert.equal((await cli('isolate', 'm1')).code, 0);
  const over = await cli('partition', '--ring', order.join(','), '--json');
  assert.equal(over.code, 0, over.stderr);
  assert.match((JSON.parse(over.stdout) as { note: string }).note, /added to the cuts already in place: m1, m2, m5 see no majority \(heal first for the ring alone\)/);
  await healAndConverge();
});
