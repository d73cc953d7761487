// Partitions on REAL etcd (the one under test) through one forward proxy per member
// (docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side): each member runs with
// HTTP_PROXY pointing at its own proxy and advertises peer URLs on host `localhost.`.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { until } from '../helpers/until.js';
import { EtcdClient, type EtcdStatus } from '../../src/etcd/client.js';
import { startPeerProxy, type PeerProxy, type PeerProxyEvent } from '../../src/chaos/proxy.js';
import { cut, describe as describeLinks, emptyLinks, heal, isolate, link, type LinkTable } from '../../src/chaos/links.js';
import { ETCD_PATH, ETCD_VERSION } from '../helpers/etcd-under-test.js';

const ETCD = ETCD_PATH;
const NAMES = ['m1', 'm2', 'm3'];
const PROXY_VARS = /^(https?_proxy|no_proxy|all_proxy|ftp_proxy)$/i;

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  proxyPort: number;
  client: EtcdClient;
  proc?: ChildProcess;
  log: string[];
  id?: string;
}


function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** `count` ports of the claimed block that nothing holds right now (the block overlaps the ephemeral range). */
async function freePorts(base: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = base; p < base + 100 && out.length < count; p++) if (await portFree(p)) out.push(p);
  if (out.length < count) throw new Error(`only ${out.length} free ports in ${base}..${base + 99}`);
  return out;
}

describe(`partitions through per-member proxies on real etcd ${ETCD_VERSION.text}`, { timeout: 60_000 }, () => {
  let dir = '';
  let links: LinkTable = emptyLinks(NAMES);
  const members: Member[] = [];
  const proxies: PeerProxy[] = [];
  const events: PeerProxyEvent[] = [];

  const byId = (id: string | null) => members.find((m) => m.id === id);
  const logTail = (m: Member) => `\n--- last log lines of ${m.name} ---\n${m.log.slice(-15).join('\n')}`;

  function setLinks(t: LinkTable): void {
    links = t;
    for (const p of proxies) p.reconcile();
  }

  async function status(m: Member): Promise<EtcdStatus | null> {
    try {
      return await m.client.status({ timeoutMs: 300 });
    } catch {
      return null;
    }
  }

  /** The leader these members all report, when they agree on one that is among them. */
  async function agreedLeader(group: Member[]): Promise<Member | undefined> {
    const st = await Promise.all(group.map(status));
    const leader = st[0]?.leader;
    if (!leader || !st.every((s) => s?.leader === leader)) return undefined;
    const m = byId(leader);
    return m && group.includes(m) ? m : undefined;
  }

  before(async () => {
    const ports = await freePorts(await claimPorts(), 3 * NAMES.length);
    dir = mkdtempSync(join(tmpdir(), 'etcd-lab-proxy-e2e-'));
    NAMES.forEach((name, i) => {
      const clientPort = ports[3 * i];
      members.push({
        name,
        clientPort,
        peerPort: ports[3 * i + 1],
        proxyPort: ports[3 * i + 2],
        client: new EtcdClient(`http://127.0.0.1:${clientPort}`),
        log: [],
      });
    });
    const peers = new Map(members.map((m) => [m.peerPort, m.name]));
    for (const m of members) {
      proxies.push(
        await startPeerProxy({
          owner: m.name,
          host: '127.0.0.1',
          port: m.proxyPort,
          peers,
          getLink: (f, t) => link(links, f, t),
          onEvent: (e) => events.push(e),
        }),
      );
    }
    const initialCluster = members.map((m) => `${m.name}=http://localhost.:${m.peerPort}`).join(',');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!PROXY_VARS.test(k)) env[k] = v;
    // Started one after the other, each once the previous answers on its peer port (docs/etcd-facts.md#bootstrap-stall).
    for (const m of members) {
      const args = [
        '--name', m.name,
        '--data-dir', join(dir, m.name),
        '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
        '--initial-advertise-peer-urls', `http://localhost.:${m.peerPort}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'proxy-e2e',
        '--heartbeat-interval', '10',
        '--election-timeout', '100',
        '--logger=zap',
        '--log-outputs=stderr',
      ];
      const proc = spawn(ETCD, args, {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...env, HTTP_PROXY: `http://127.0.0.1:${m.proxyPort}` },
      });
      m.proc = proc;
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (s: string) => {
        m.log.push(...s.split('\n').filter(Boolean));
        if (m.log.length > 400) m.log.splice(0, m.log.length - 400);
      });
      await until(`${m.name} to answer on its peer port`, async () => {
        if (proc.exitCode !== null) throw new Error(`${m.name} exited with ${proc.exitCode}${logTail(m)}`);
        return (await EtcdClient.peerVersion(`http://127.0.0.1:${m.peerPort}`, 300)) ?? undefined;
      }, 5000);
    }
    const t0 = Date.now();
    await until('a leader all three agree on', async () => {
      const st = await Promise.all(members.map(status));
      if (st.some((s) => s === null)) return undefined;
      st.forEach((s, i) => (members[i].id = s!.memberId));
      return agreedLeader(members);
    }, 10_000);
    console.log(`# cluster of 3 through proxies has a leader ${Date.now() - t0} ms after the last member started`);
  });

  after(async () => {
    for (const m of members) {
      if (m.proc?.pid !== undefined && m.proc.exitCode === null) {
        try {
          process.kill(-m.proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      m.client.close();
    }
    await Promise.all(proxies.map((p) => p.close()));
    if (dir) {
      let left = await waitNoProcesses(dir, 5000);
      if (left.length > 0) {
        killMentioning(dir);
        left = await waitNoProcesses(dir, 5000);
      }
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(left, [], 'etcd processes survived the test');
    }
  });

  // Each test starts from healed links and one leader all three agree on, whatever the test before it left.
  beforeEach(async () => {
    setLinks(heal(links));
    await until('all three to agree on a leader', () => agreedLeader(members), 10_000);
  });

  it('routes every member’s peer traffic through its own proxy', () => {
    for (const [i, p] of proxies.entries()) {
      const { requestsTo } = p.stats();
      for (const other of members) {
        if (other === members[i]) continue;
        assert.ok((requestsTo[other.name] ?? 0) > 0, `${p.owner}'s proxy saw no request to ${other.name}: ${JSON.stringify(requestsTo)}`);
      }
      assert.equal(requestsTo[members[i].name], undefined, `${p.owner} sent requests to itself through its proxy`);
    }
    assert.ok(!events.some((e) => e.type === 'unknown-destination'), 'a request went to a port that is no member');
  });

  it('isolating the leader: the other two elect a new leader, the old one cannot commit; after the heal it catches up', async () => {
    // The start may still be settling (these members run without pre-vote): wait, bounded, for one agreed leader.
    const oldLeader = await until('an agreed leader before the fault', () => agreedLeader(members), 5000);
    await oldLeader.client.put('before', 'v0', { timeoutMs: 2000 });
    const rest = members.filter((m) => m !== oldLeader);
    const t0 = performance.now();
    setLinks(isolate(links, oldLeader.name));
    const newLeader = await until('a new leader among the other two', async () => {
      const l = await agreedLeader(rest);
      return l && l !== oldLeader ? l : undefined;
    }, 10_000);
    const electedMs = Math.round(performance.now() - t0);
    console.log(`# isolated leader ${oldLeader.name}: ${newLeader.name} elected by the majority in ${electedMs} ms`);
    console.log(`# links: ${describeLinks(links).join(', ')}`);

    await assert.rejects(
      oldLeader.client.put('iso', 'lost', { timeoutMs: 1500 }),
      'a put on the isolated member succeeded: it still leads a working majority' + logTail(oldLeader),
    );
    await newLeader.client.put('iso', 'majority', { timeoutMs: 2000 });
    const follower = rest.find((m) => m !== newLeader)!;
    assert.equal((await follower.client.get('iso', { timeoutMs: 2000 })).value, 'majority');
    const st = await status(oldLeader);
    assert.ok(st === null || st.leader !== oldLeader.id || BigInt(st.raftTerm) < BigInt((await newLeader.client.status()).raftTerm),
      `the isolated member still reports itself leader at the current term: ${JSON.stringify(st)}`);
    assert.ok((proxies[members.indexOf(oldLeader)].stats().blockedTo[newLeader.name] ?? 0) > 0, 'the isolated member’s proxy blocked nothing');
    // Heal: all three agree on a leader again and the old leader reads the majority's write.
    setLinks(heal(links));
    const t1 = performance.now();
    await until('all three to agree on a leader after heal', () => agreedLeader(members), 10_000);
    console.log(`# after heal all three agree on a leader in ${Math.round(performance.now() - t1)} ms`);
    await until(`${oldLeader.name} to catch up`, async () => {
      const r = await oldLeader.client.get('iso', { serializable: true, timeoutMs: 300 }).catch(() => null);
      return r?.value === 'majority' ? true : undefined;
    }, 5000);
  });

  // A one-way cut stops what the leader sends to the follower and nothing else
  // (docs/etcd-facts.md#a-one-way-cut-leader--follower). A member names a leader only from that leader's own messages,
  // so the follower must stop naming the leader within a few election timeouts and never name it again until the
  // heal: a message of the leader's that got through shows as the follower naming it. Whether the follower is left
  // without any leader is raft's business, not the cut's: another member may win an election meanwhile (the cut makes
  // that likelier), and the follower then follows it, or leads.
  it('a one-way cut leader -> follower: that follower stops hearing the leader while the others carry on', async () => {
    const leader = await until('a stable leader', () => agreedLeader(members), 5000);
    const [victim, other] = members.filter((m) => m !== leader);
    setLinks(cut(links, leader.name, victim.name));
    console.log(`# links: ${describeLinks(links).join(', ')}`);
    // 10 answers in a row that do not name the leader (well over 10 election timeouts); a message the leader sent just
    // before the cut may still arrive, so naming it starts the count again.
    let streak = 0;
    await until(`${victim.name} to stop naming ${leader.name} its leader`, async () => {
      const s = await status(victim);
      if (s !== null) streak = s.leader === leader.id ? 0 : streak + 1;
      return streak >= 10 ? true : undefined;
    }, 5000);
    // From here to the heal the victim never names the leader (10 more answers, each checked) while a write through
    // the other follower, which hears every member, commits and reaches it.
    const named = new Set<string>();
    let answers = 0;
    const watching = until(`10 more answers from ${victim.name}`, async () => {
      const s = await status(victim);
      if (s === null) return undefined;
      assert.notEqual(s.leader, leader.id, `${victim.name} named ${leader.name} its leader again: a message crossed the cut ${JSON.stringify(s)}`);
      named.add(s.leader === null ? 'none' : (byId(s.leader)?.name ?? s.leader));
      return ++answers >= 10 ? true : undefined;
    }, 5000);
    const writing = (async () => {
      // Commits, to the old leader or one elected meanwhile (a put that meets an election fails; the next commits).
      await until(`a put through ${other.name} to commit`, () => other.client.put('oneway', 'v1', { timeoutMs: 2000 }).then(() => true), 10_000);
      await until(`${other.name} to have the write`, async () => {
        const r = await other.client.get('oneway', { serializable: true, timeoutMs: 300 }).catch(() => null);
        return r?.value === 'v1' ? true : undefined;
      }, 2000);
    })();
    await Promise.all([watching, writing]);
    console.log(`# under the cut ${victim.name} named as its leader: ${[...named].join(', ')}`);

    setLinks(heal(links));
    const t0 = performance.now();
    await until('all three to agree on a leader after heal', () => agreedLeader(members), 10_000);
    console.log(`# after healing the one-way cut all three agree on a leader in ${Math.round(performance.now() - t0)} ms`);
    for (const m of members) {
      await until(`${m.name} to have the write made under the cut`, async () => {
        const r = await m.client.get('oneway', { serializable: true, timeoutMs: 300 }).catch(() => null);
        return r?.value === 'v1' ? true : undefined;
      }, 5000);
    }
  });
});
