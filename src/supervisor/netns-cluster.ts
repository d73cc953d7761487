// A multi-host plan run on network-namespace hosts (netns.ts): each member runs its plan command inside its own
// namespace, with what its bootstrap needs beside it: a dnsmasq serving the plan's SRV records, or a one-member etcd
// serving discovery. Everything is checked from inside the namespaces (the root namespace has no route to them).
import { memberOf } from '../plan/member-of.js';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LabError } from '../errors.js';
import { dnsmasqRecordArgs, type BootstrapMode } from '../plan/bootstrap.js';
import { dialectArgs } from '../plan/dialect.js';
import { buildHostsPlan, type HostsPlan, type HostsSpec } from '../plan/hosts.js';
import { planHostMove } from '../plan/hosts-move.js';
import type { EtcdVersion, Profile } from '../plan/types.js';
import { NETNS_SUBNET, NetnsNetwork, netnsRunDirPrefix, type NetnsHost } from './netns.js';
import { ensureHostsPki } from './pki.js';
import { memberTlsFiles } from '../plan/tls.js';

export const NETNS_DNS_DOMAIN = 'netns.etcd-lab.test';
const DNS_HOST: NetnsHost = { name: 'dns', address: `${NETNS_SUBNET}.2` };
const DISCOVERY_HOST: NetnsHost = { name: 'disc', address: `${NETNS_SUBNET}.3` };

export function memberAddress(i: number): string {
  return `${NETNS_SUBNET}.${11 + i}`;
}

export interface NetnsClusterOptions {
  nodes: number;
  bootstrap: BootstrapMode;
  etcd: { path: string; version: EtcdVersion };
  profile?: Profile;
  token?: string;
  /** Bound on forming the cluster (default 60 s). */
  timeoutMs?: number;
  /** Hosts with no member yet (s1, s2, ...): where `moveMember` can move one. */
  spares?: number;
  /** HTTPS on both ports with client certificates; each host's certificates name its own address (pki.ts). */
  tls?: boolean;
}

export interface EndpointStatus {
  endpoint: string;
  memberId: string;
  leader: string;
  raftTerm: string;
}

/** `etcdctl endpoint status -w json`, with the 64-bit ids kept exact (as strings). */
export function parseEndpointStatus(text: string): EndpointStatus[] {
  const safe = text.replace(/(":\s*)(\d{15,})/g, '$1"$2"');
  const rows = JSON.parse(safe) as { Endpoint: string; Status: { header: { member_id: unknown; raft_term: unknown }; leader: unknown } }[];
  return rows.map((r) => ({
    endpoint: r.Endpoint,
    memberId: String(r.Status.header.member_id),
    leader: String(r.Status.leader),
    raftTerm: String(r.Status.header.raft_term),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function spareAddress(nodes: number, i: number): string {
  return memberAddress(nodes + i);
}

export class NetnsCluster {
  private readonly procs = new Map<string, ChildProcess>();
  /** Which namespace host each member runs on now (its own at first; a spare after a move). */
  private readonly hostOf = new Map<string, string>();
  private readonly paused = new Set<string>();
  private originalHosts: { host: string; address: string }[] = [];
  private spareHosts: { host: string; address: string }[] = [];

  private constructor(
    readonly net: NetnsNetwork,
    public plan: HostsPlan,
    private spec: HostsSpec,
    private readonly etcd: { path: string; version: EtcdVersion },
    private readonly etcdctl: string,
  ) {}

  /** Makes the hosts, starts what the bootstrap needs and every member; resolves once they agree on a leader. */
  static async start(opts: NetnsClusterOptions): Promise<NetnsCluster> {
    const dir = mkdtempSync(join(tmpdir(), netnsRunDirPrefix()));
    const names = Array.from({ length: opts.nodes }, (_, i) => `m${i + 1}`);
    const spec: HostsSpec = {
        hosts: names.map((name, i) => ({ name, address: memberAddress(i), dataDir: join(dir, 'data', name) })),
        allowEven: false,
        namePrefix: 'm',
        dataDir: join(dir, 'data'),
        profile: opts.profile ?? 'fast',
        extraArgs: [],
        ...(opts.tls ? { tls: true, pkiDir: join(dir, 'pki') } : {}),
        bootstrap: {
          mode: opts.bootstrap,
          ...(opts.bootstrap === 'dns' ? { dnsDomain: NETNS_DNS_DOMAIN } : {}),
          ...(opts.bootstrap === 'discovery' ? { discoveryEndpoints: [`http://${DISCOVERY_HOST.address}:2379`] } : {}),
        },
    };
    const plan = buildHostsPlan(spec, opts.etcd.version, opts.token ?? `etcd-lab-netns-${process.pid}`);
    const extra = opts.bootstrap === 'dns' ? [DNS_HOST] : opts.bootstrap === 'discovery' ? [DISCOVERY_HOST] : [];
    const spares = Array.from({ length: opts.spares ?? 0 }, (_, i) => ({ name: `s${i + 1}`, address: spareAddress(opts.nodes, i) }));
    const net = await NetnsNetwork.create([...plan.members.map((m) => ({ name: m.name, address: m.address })), ...extra, ...spares], dir);
    const sibling = join(dirname(opts.etcd.path), 'etcdctl');
    const cluster = new NetnsCluster(net, plan, spec, opts.etcd, existsSync(sibling) ? sibling : 'etcdctl');
    cluster.originalHosts = plan.members.map((m) => ({ host: m.name, address: m.address }));
    cluster.spareHosts = spares.map((h) => ({ host: h.name, address: h.address }));
    try {
      if (plan.tls) await ensureHostsPki(plan, plan.tls.dir);
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      if (plan.bootstrap.mode === 'dns') await cluster.startDns(deadline);
      if (plan.bootstrap.mode === 'discovery') await cluster.startDiscovery(opts.etcd, deadline);
      for (const m of plan.members) {
        cluster.procs.set(m.name, net.start(m.name, [opts.etcd.path, ...m.args], `${m.name}.log`));
        cluster.hostOf.set(m.name, m.name);
      }
      await cluster.waitForLeader(plan.members.map((m) => m.name), deadline);
      return cluster;
    } catch (e) {
      const logs = cluster.logTails();
      net.destroySync();
      if (e instanceof LabError) throw new LabError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), details: [...e.details, ...logs] });
      throw e;
    }
  }

  private logTails(): string[] {
    const out: string[] = [];
    for (const name of [...this.plan.members.map((m) => m.name), 'dns', 'disc']) {
      const f = join(this.net.dir, `${name}.log`);
      if (!existsSync(f)) continue;
      out.push(`--- ${name}.log (last lines)`, ...readFileSync(f, 'utf8').trimEnd().split('\n').slice(-8));
    }
    return out;
  }

  private async startDns(deadline: number): Promise<void> {
    const b = this.plan.bootstrap;
    if (b.mode !== 'dns') return;
    this.net.start('dns', [
      'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
      `--listen-address=${DNS_HOST.address}`, '--port=53', '--pid-file=', '--user=root', '--log-facility=-', '--log-queries',
      `--local=/${b.domain}/`, ...dnsmasqRecordArgs(b),
    ], 'dns.log');
    for (const m of this.plan.members) this.net.setResolver(m.name, DNS_HOST.address);
    const probe = this.plan.members[0]!;
    for (;;) {
      const r = await this.net.exec(probe.name, ['getent', 'hosts', probe.advertiseHost], 3000);
      if (r.code === 0 && r.stdout.includes(probe.address)) return;
      if (Date.now() > deadline) throw new LabError('NETNS', `dnsmasq did not answer for ${probe.advertiseHost} in time`);
      await sleep(100);
    }
  }

  private async startDiscovery(etcd: { path: string; version: EtcdVersion }, deadline: number): Promise<void> {
    const b = this.plan.bootstrap;
    if (b.mode !== 'discovery') return;
    const url = `http://${DISCOVERY_HOST.address}:2379`;
    this.net.start('disc', [
      etcd.path, '--name', 'discovery', '--data-dir', join(this.net.dir, 'data', 'discovery'),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', `http://${DISCOVERY_HOST.address}:2380`, '--initial-advertise-peer-urls', `http://${DISCOVERY_HOST.address}:2380`,
      '--initial-cluster', `discovery=http://${DISCOVERY_HOST.address}:2380`,
      ...(b.protocol === 'v2' ? ['--enable-v2=true'] : []), ...dialectArgs(etcd.version),
    ], 'disc.log');
    for (;;) {
      const r = await this.ctl('disc', ['--endpoints', url, 'endpoint', 'health'], 3000, false);
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new LabError('NETNS', 'the discovery etcd did not become healthy in time');
      await sleep(100);
    }
    // The size key says how many members make up the new cluster (etcd docs, "Discovery service protocol").
    const set = b.protocol === 'v2'
      ? await this.net.exec('disc', ['curl', '-sS', '-f', '-X', 'PUT', b.sizeURL, '-d', `value=${b.size}`], 5000)
      : await this.ctl('disc', ['--endpoints', url, 'put', b.sizeKey, String(b.size)], 5000, false);
    if (set.code !== 0) throw new LabError('NETNS', `could not set the discovery size: ${set.stderr || set.stdout}`);
  }

  /** etcdctl (v3 API) run inside a host; with the cluster's CA and client certificate when it runs TLS (`tls` false: the http discovery etcd). */
  ctl(host: string, args: string[], timeoutMs = 10_000, tls = true): Promise<import('./netns.js').ExecResult> {
    const t = tls ? this.plan.tls : undefined;
    const certs = t ? [`--cacert=${t.caFile}`, `--cert=${t.certFile}`, `--key=${t.keyFile}`] : [];
    return this.net.exec(host, [this.etcdctl, '--dial-timeout=1s', '--command-timeout=2s', ...certs, ...args], timeoutMs, { ETCDCTL_API: '3' });
  }

  /** Status of `members` as seen from `from` (default: the first of them); unreachable ones are left out. */
 async status(members: string[], from = members[0]!): Promise<EndpointStatus[]> {
    const eps = this.plan.members.filter((m) => members.includes(m.name)).map((m) => m.clientURL);
    const r = await this.ctl(this.hostOfMember(from), ['--endpoints', eps.join(','), 'endpoint', 'status', '-w', 'json'], 10_000);
    const start = r.stdout.indexOf('[');
    if (start < 0) return [];
    try {
      return parseEndpointStatus(r.stdout.slice(start));
    } catch {
      return [];
    }
  }

  /** Waits (bounded) until every member of `members` answers and all name the same leader, one of them. */
  async waitForLeader(members: string[], deadline: number): Promise<EndpointStatus[]> {
    let last: EndpointStatus[] = [];
    for (;;) {
      last = await this.status(members);
      const leaders = new Set(last.map((s) => s.leader));
      if (last.length === members.length && leaders.size === 1 && last.some((s) => s.memberId === last[0]!.leader) && last[0]!.leader !== '0') return last;
      if (Date.now() > deadline) {
        throw new LabError('NETNS', `members ${members.join(', ')} did not agree on a leader in time (saw ${JSON.stringify(last)})`);
      }
      await sleep(150);
    }
  }

  /** Member name of a member id. */
  nameOf(id: string, statuses: EndpointStatus[]): string | undefined {
    const s = statuses.find((x) => x.memberId === id);
    return s ? this.plan.members.find((m) => m.clientURL === s.endpoint)?.name : undefined;
  }

  /** The namespace host `member` runs on now. */
  hostOfMember(member: string): string {
    return this.hostOf.get(member) ?? member;
  }

  /**
   * Moves a member to a spare host: stop it, `member update` its peer URL (through a member that stays), carry its
   * data dir over, start it there with the moved plan's flags. Same member ID, same data. Resolves once every member
   * agrees on a leader again.
   */
  /** Every namespace host a member can run on, with its address: the members' own hosts, then the spares. */
  hostsList(): { host: string; address: string; member: string | null }[] {
    const all = [...this.originalHosts, ...this.spareHosts];
    const on = new Map([...this.hostOf.entries()].map(([m, h]) => [h, m]));
    return all.map((h) => ({ ...h, member: on.get(h.host) ?? null }));
  }

  /** The free host `to` names (a host name like s1, or its address), or a clear refusal. */
  private targetHost(name: string, to: string): { host: string; address: string } {
    const hosts = this.hostsList();
    const h = hosts.find((x) => x.host === to || x.address === to);
    const free = hosts.filter((x) => x.member === null);
    const list = free.map((x) => `${x.host} (${x.address})`).join(', ');
    if (!h) {
      throw new LabError('USAGE', `"${to}" is not a host of this run${free.length > 0 ? `; free hosts: ${list}` : ''}`, {
        hint: free.length > 0 ? `e.g. --to ${free[0]!.host}` : 'start the hosts with a spare: etcd-lab netns up --spares 1',
      });
    }
    if (h.member === name) throw new LabError('USAGE', `${name} already runs on ${h.host} (${h.address})`, { hint: free.length > 0 ? `free hosts: ${list}` : 'start the hosts with a spare: etcd-lab netns up --spares 1' });
    if (h.member !== null) throw new LabError('USAGE', `${h.host} (${h.address}) already runs ${h.member}: one member per host`, { hint: free.length > 0 ? `free hosts: ${list}` : 'start the hosts with a spare: etcd-lab netns up --spares 1' });
    return h;
  }

  async moveMember(name: string, to: string, timeoutMs = 30_000, say: (text: string) => void = () => undefined): Promise<{ id: string; from: string; to: string; host: string }> {
    const i = this.plan.members.findIndex((m) => m.name === name);
    if (i < 0) throw new LabError('UNKNOWN_MEMBER', `no member "${name}" (members: ${this.plan.members.map((m) => m.name).join(', ')})`);
    const { host: spare, address } = this.targetHost(name, to);
    const mv = planHostMove(this.spec, this.etcd.version, this.plan.token, name, { address, dataDir: join(this.net.dir, 'data', spare, name) });
    const via = this.plan.members.find((m) => m.name !== name)!;
    const viaHost = this.hostOfMember(via.name);
    const list = await this.ctl(viaHost, ['--endpoints', via.clientURL, 'member', 'list', '-w', 'json']);
    const members = (JSON.parse(list.stdout.replace(/(":\s*)(\d{15,})/g, '$1"$2"')) as { members: { ID: string; name: string }[] }).members;
    const id = members.find((m) => m.name === name)?.ID;
    if (id === undefined) throw new LabError('MEMBERSHIP', `${name} is not in the member list: ${list.stdout}`);
    const hex = BigInt(id).toString(16);
    say(`stopping ${name} (id ${BigInt(id).toString(16)}) on ${this.hostOfMember(name)} (${mv.from.address})`);
    const proc = this.procs.get(name);
    if (proc?.pid !== undefined) {
      const exited = new Promise((r) => proc.once('exit', r));
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await exited;
    }
    const upd = await this.ctl(viaHost, ['--endpoints', via.clientURL, 'member', 'update', hex, `--peer-urls=${mv.peerURLs.join(',')}`]);
    if (upd.code !== 0) throw new LabError('MEMBERSHIP', `member update ${hex} failed: ${upd.stderr}`);
    say(`member update ${hex} --peer-urls=${mv.peerURLs.join(',')}; carrying its data dir to ${spare}`);
    mkdirSync(dirname(mv.to.dataDir), { recursive: true });
    renameSync(mv.from.dataDir, mv.to.dataDir);
    if (mv.plan.tls) {
      // Its certificates named the old host's address: the new host gets its own, from the same CA.
      rmSync(dirname(memberTlsFiles(mv.plan.tls, name).certFile), { recursive: true, force: true });
      await ensureHostsPki(mv.plan, mv.plan.tls.dir);
    }
    this.procs.set(name, this.net.start(spare, [this.etcd.path, ...mv.args], `${name}.log`));
    this.hostOf.set(name, spare);
    this.plan = mv.plan;
    this.spec = mv.spec;
    say(`started ${name} on ${spare} (${address}); waiting until every member agrees on a leader`);
    await this.waitForLeader(this.plan.members.map((m) => m.name), Date.now() + timeoutMs);
    return { id: hex, from: mv.from.peerURL, to: mv.to.peerURL, host: spare };
  }

  /**
   * A relay per member, run inside its host: a unix socket in the run folder, forwarded to the member's client port.
   * A client in this (root) namespace, which has no route to the hosts, then reaches each member as a client on its
   * own host would: a partition between hosts does not cut it off from its member. Resolves once every socket exists.
   */
  async startRelays(timeoutMs = 10_000): Promise<void> {
    const script = [
      "const net = require('node:net'); const [path, host, port] = process.argv.slice(1);",
      'net.createServer((c) => { const u = net.connect(Number(port), host);',
      "  c.pipe(u); u.pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); c.on('close', () => u.destroy()); u.on('close', () => c.destroy());",
      '}).listen(path);',
    ].join('\n');
    for (const m of this.plan.members) {
      this.net.start(this.hostOfMember(m.name), [process.execPath, '-e', script, this.relaySocket(m.name), m.address, String(m.clientPort)], `relay-${m.name}.log`);
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.plan.members.every((m) => existsSync(this.relaySocket(m.name)))) {
      if (Date.now() > deadline) throw new LabError('NETNS', 'the client relays in the namespace hosts did not start in time');
      await sleep(20);
    }
  }

  /** The client certificate and CA a client of this cluster needs (TLS only). */
  clientTls(): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
    const t = this.plan.tls;
    return t ? { ca: readFileSync(t.caFile), cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : undefined;
  }

  relaySocket(member: string): string {
    return join(this.net.dir, `${member}.sock`);
  }

  /** The member's process: its state as seen from here. */
  memberState(member: string): 'running' | 'paused' | 'exited' {
    const p = this.procs.get(member);
    if (!p || p.exitCode !== null || p.signalCode !== null) return 'exited';
    return this.paused.has(member) ? 'paused' : 'running';
  }

  memberPid(member: string): number | null {
    const p = this.procs.get(member);
    return p && this.memberState(member) !== 'exited' ? (p.pid ?? null) : null;
  }

  /** Signals a member (its process group) and, for KILL/TERM, waits (bounded) until it has exited. */
  async signalMember(member: string, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT', timeoutMs = 10_000): Promise<void> {
    const p = this.procs.get(member);
    if (!p?.pid || this.memberState(member) === 'exited') return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    if (signal === 'SIGTERM' && this.paused.has(member)) process.kill(-p.pid, 'SIGCONT');
    process.kill(-p.pid, signal);
    if (signal === 'SIGSTOP') this.paused.add(member);
    else this.paused.delete(member);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await Promise.race([exited, sleep(timeoutMs)]);
  }

  /** Starts a member that is down again on its host, with its data (its flags stay the plan's). */
  startMember(member: string): void {
    if (this.memberState(member) !== 'exited') return;
    const m = memberOf(this.plan, member);
    this.procs.set(member, this.net.start(this.hostOfMember(member), [this.etcd.path, ...m.args], `${member}.log`));
  }

  /** Writes through `member`, from the host it runs on. */
  async put(member: string, key: string, value: string): Promise<import('./netns.js').ExecResult> {
    const m = this.plan.members.find((x) => x.name === member)!;
    return this.ctl(this.hostOfMember(member), ['--endpoints', m.clientURL, 'put', key, value]);
  }

  async get(member: string, key: string): Promise<import('./netns.js').ExecResult> {
    const m = this.plan.members.find((x) => x.name === member)!;
    return this.ctl(this.hostOfMember(member), ['--endpoints', m.clientURL, 'get', key, '--print-value-only']);
  }

  async destroy(): Promise<void> {
    await this.net.destroy();
  }
}
