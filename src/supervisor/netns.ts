// Hosts made of Linux network namespaces: one namespace per host with its own address on a private bridge. The bridge
// lives in a namespace of its own too, so the root namespace has no route to the hosts and nothing they send leaves
// them. Every name starts with `etcdlab-<owner pid>-<run id>-`, so a cleanup removes only what a run of etcd-lab made,
// and `sweepStaleNetns` only what a run that is gone left behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, closeSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { runCapture } from '../etcd/run-capture.js';

export const NETNS_PREFIX = 'etcdlab-';
/** The hosts' subnet; the same in every run (each run has its own bridge, unreachable from the others). */
export const NETNS_SUBNET = '10.77.0';
const IP_TIMEOUT_MS = 10_000;

export interface NetnsHost {
  /** Short name (letters, digits, "-"), unique in the run. */
  name: string;
  address: string;
}

/** Refuses clearly where network namespaces cannot be made: not Linux, not root, no `ip`. */
export function checkNetnsSupport(platform: string = process.platform, uid: number | undefined = process.getuid?.()): void {
  if (platform !== 'linux') {
    throw new LabError('NETNS', `network-namespace hosts need Linux (this is ${platform})`, {
      hint: 'use `etcd-lab export` to run the plan on real hosts, or `etcd-lab up` for one machine',
    });
  }
  if (uid !== 0) {
    throw new LabError('NETNS', 'network-namespace hosts need root (ip netns add, veth pairs, a bridge)', {
      hint: 'run it as root (sudo etcd-lab netns ...), or use `etcd-lab up` which needs no privileges',
    });
  }
}

/** The owner pid of an etcd-lab namespace name, or null for a name that is not etcd-lab's. */
export function netnsOwner(name: string): number | null {
  const m = /^etcdlab-(\d+)-[0-9a-f]{6}-[A-Za-z0-9-]+$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Of the namespaces listed, those etcd-lab made in a run whose process is gone. Pure. */
export function staleNetns(names: readonly string[], alive: (pid: number) => boolean): string[] {
  return names.filter((n) => {
    const pid = netnsOwner(n);
    return pid !== null && !alive(pid);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function listNetns(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  return out.split('\n').map((l) => l.split(' ')[0]!.trim()).filter((l) => l !== '');
}

/** Kills what runs in a namespace, then deletes it and its /etc/netns folder. Synchronous: usable at exit. */
function removeNetnsSync(ns: string): void {
  for (let i = 0; i < 50; i++) {
    let pids: number[] = [];
    try {
      pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: IP_TIMEOUT_MS }).split(/\s+/).filter((p) => p !== '').map(Number);
    } catch {
      break; // no such namespace
    }
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    execFileSync('sleep', ['0.02']);
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: IP_TIMEOUT_MS });
  } catch {
    /* already gone */
  }
  rmSync(join('/etc/netns', ns), { recursive: true, force: true });
  try {
    rmdirSync('/etc/netns');
  } catch {
    /* not empty (another run), or absent */
  }
}

/** The prefix of a run folder (`mkdtemp`): it names the owner pid, so a sweep can tell a run that is gone. */
export function netnsRunDirPrefix(pid: number = process.pid): string {
  return `etcd-lab-netns-${pid}-`;
}

/** Of the entries of the temp folder, the run folders of netns runs whose process is gone. Pure. */
export function staleRunDirs(entries: readonly string[], alive: (pid: number) => boolean): string[] {
  return entries.filter((e) => {
    const m = /^etcd-lab-netns-(\d+)-[A-Za-z0-9]{6}$/.exec(e);
    return m !== null && !alive(Number(m[1]));
  });
}

/**
 * Removes the namespaces and run folders of etcd-lab runs that are gone (killed before they could clean up).
 * Returns the namespaces' names and the folders' paths.
 */
export function sweepStaleNetns(): string[] {
  const stale = staleNetns(listNetns(), pidAlive);
  for (const ns of stale) removeNetnsSync(ns);
  let entries: string[] = [];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    /* no temp folder to read */
  }
  const dirs = staleRunDirs(entries, pidAlive).map((e) => join(tmpdir(), e));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  return [...stale, ...dirs];
}

async function ip(args: string[]): Promise<void> {
  const r = await runCapture('ip', args, process.env, IP_TIMEOUT_MS, null, { group: false });
  if (r.error || r.timedOut || r.code !== 0) {
    const why = r.stderr.trim() || r.error?.message || (r.timedOut ? `no answer within ${IP_TIMEOUT_MS} ms` : `exit code ${r.code}`);
    throw new LabError('NETNS', `ip ${args.join(' ')} failed: ${why}`);
  }
}

/** How `NetnsNetwork.partition` cuts hosts apart. */
export type PartitionMode = 'link' | 'drop';
export const PARTITION_MODES: readonly PartitionMode[] = ['link', 'drop'];

/** `drop` partitions need iptables (nft or legacy backend); refuses clearly without it. */
export function checkIptables(): void {
  try {
    execFileSync('iptables', ['--version'], { stdio: 'ignore', timeout: IP_TIMEOUT_MS });
  } catch {
    throw new LabError('NETNS', 'the drop partition mode needs iptables in the host namespaces, and it is not on PATH', {
      hint: 'install iptables (Debian: apt-get install iptables), or use the link mode (--partition-mode link), which needs only iproute2',
    });
  }
}

async function iptables(ns: string, args: string[]): Promise<void> {
  const r = await runCapture('ip', ['netns', 'exec', ns, 'iptables', '-w', '5', ...args], process.env, IP_TIMEOUT_MS, null, { group: false });
  if (r.code !== 0) throw new LabError('NETNS', `iptables ${args.join(' ')} in ${ns} failed: ${r.stderr.trim() || r.error?.message || `exit code ${r.code}`}`);
}

/** Adds rules to a namespace's tables (`iptables-restore --noflush`: nothing there is replaced). */
async function iptablesRestore(ns: string, rules: string): Promise<void> {
  const r = await runCapture('ip', ['netns', 'exec', ns, 'iptables-restore', '-w', '5', '--noflush'], process.env, IP_TIMEOUT_MS, null, { group: false, input: rules });
  if (r.code !== 0) throw new LabError('NETNS', `iptables-restore in ${ns} failed: ${r.stderr.trim() || r.error?.message || `exit code ${r.code}`}`);
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A set of namespace hosts on one bridge. `destroy()` (or, at process exit, a synchronous twin) kills what runs in
 * them and removes every namespace, veth, the bridge, /etc/netns entries and the run's temp folder.
 */
export class NetnsNetwork {
  readonly id: string;
  readonly switchNs: string;
  /** The run's folder (data dirs, logs): removed by destroy(). */
  readonly dir: string;
  private readonly hosts = new Map<string, { ns: string; address: string; veth: string }>();
  private readonly children = new Set<ChildProcess>();
  /** Extra bridges of a `link` partition, and namespaces holding drop rules: what heal() undoes. */
  private readonly bridges = new Set<string>();
  private readonly filtered = new Set<string>();
  private destroyed = false;
  private readonly onExit = () => this.destroySync();

  private constructor(dir: string) {
    this.id = `${process.pid}-${randomBytes(3).toString('hex')}`;
    this.switchNs = `${NETNS_PREFIX}${this.id}-sw`;
    this.dir = dir;
    process.on('exit', this.onExit);
  }

  /** Makes the bridge and one namespace per host; on any failure removes what it made. */
  static async create(hosts: NetnsHost[], dir: string): Promise<NetnsNetwork> {
    checkNetnsSupport();
    sweepStaleNetns();
    const net = new NetnsNetwork(dir);
    try {
      mkdirSync(dir, { recursive: true });
      await ip(['netns', 'add', net.switchNs]);
      await ip(['-n', net.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', net.switchNs, 'link', 'set', 'br0', 'up']);
      for (const h of hosts) await net.addHost(h);
      return net;
    } catch (e) {
      net.destroySync();
      throw e;
    }
  }

  nsOf(host: string): string {
    const h = this.hosts.get(host);
    if (!h) throw new LabError('NETNS', `no namespace host "${host}" (hosts: ${[...this.hosts.keys()].join(', ')})`);
    return h.ns;
  }

  namespaces(): string[] {
    return [this.switchNs, ...[...this.hosts.values()].map((h) => h.ns)];
  }

  private async addHost(h: NetnsHost): Promise<void> {
    if (!/^[A-Za-z0-9-]{1,20}$/.test(h.name) || this.hosts.has(h.name)) throw new LabError('NETNS', `bad or repeated namespace host name "${h.name}"`);
    const ns = `${NETNS_PREFIX}${this.id}-${h.name}`;
    const veth = `p${this.hosts.size + 1}`;
    this.hosts.set(h.name, { ns, address: h.address, veth });
    await ip(['netns', 'add', ns]);
    await ip(['-n', this.switchNs, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ip(['-n', this.switchNs, 'link', 'set', veth, 'master', 'br0', 'up']);
    await ip(['-n', ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  /** Makes `ip netns exec` show the host this resolv.conf (it bind-mounts /etc/netns/<ns>/resolv.conf). */
  setResolver(host: string, nameserver: string): void {
    const d = join('/etc/netns', this.nsOf(host));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'resolv.conf'), `nameserver ${nameserver}\noptions timeout:1 attempts:2\n`);
  }

  /** Starts a long-running process in a host; output goes to `<dir>/<log>`. */
  start(host: string, argv: string[], log: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
    const fd = openSync(join(this.dir, log), 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', this.nsOf(host), ...argv], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      });
      this.children.add(child);
      child.on('exit', () => this.children.delete(child));
      child.on('error', () => this.children.delete(child));
      return child;
    } finally {
      closeSync(fd);
    }
  }

  /** Runs a command in a host to completion (bounded). */
  exec(host: string, argv: string[], timeoutMs = 15_000, env: NodeJS.ProcessEnv = {}): Promise<ExecResult> {
    return runCapture('ip', ['netns', 'exec', this.nsOf(host), ...argv], { PATH: process.env.PATH ?? '', ...env }, timeoutMs, null, { group: false, maxChars: 4 << 20 }).then((r) => {
      const code = r.error || r.timedOut ? 1 : (r.code ?? 1);
      return { code, stdout: r.stdout, stderr: r.stderr || (r.error && !r.stdout ? r.error.message : '') };
    });
  }

  /** Kernel-level partition of a host: its link to the bridge goes down (up again with `connect`). */
  async disconnect(host: string): Promise<void> {
    const h = this.hosts.get(host);
    if (!h) throw new LabError('NETNS', `no namespace host "${host}"`);
    await ip(['-n', this.switchNs, 'link', 'set', h.veth, 'down']);
  }

  async connect(host: string): Promise<void> {
    const h = this.hosts.get(host);
    if (!h) throw new LabError('NETNS', `no namespace host "${host}"`);
    await ip(['-n', this.switchNs, 'link', 'set', h.veth, 'up']);
  }

  /**
   * Kernel-level partition into `groups` of hosts (hosts in no group stay with the first). `link`: each group after the
   * first gets a bridge of its own, its hosts' bridge ports moved there (`ip link set master`), so a group still
   * talks within itself; `drop`: iptables rules in each host's namespace drop every packet to and from the hosts of
   * the other groups. Replaces an earlier partition.
   */
  async partition(groups: string[][], mode: PartitionMode): Promise<void> {
    await this.heal();
    const hostOf = (n: string) => {
      const h = this.hosts.get(n);
      if (!h) throw new LabError('NETNS', `no namespace host "${n}" (hosts: ${[...this.hosts.keys()].join(', ')})`);
      return h;
    };
    if (mode === 'link') {
      for (let g = 1; g < groups.length; g++) {
        await ip(['-n', this.switchNs, 'link', 'add', `br${g}`, 'type', 'bridge']);
        await ip(['-n', this.switchNs, 'link', 'set', `br${g}`, 'up']);
        this.bridges.add(`br${g}`);
        for (const n of groups[g]!) await ip(['-n', this.switchNs, 'link', 'set', hostOf(n).veth, 'master', `br${g}`]);
      }
      return;
    }
    checkIptables();
    // Every host's rules in one iptables-restore, all hosts at once: the partition takes effect (nearly) together.
    const work: Promise<void>[] = [];
    for (const [g, group] of groups.entries()) {
      const others = groups.filter((_, j) => j !== g).flat().map((n) => hostOf(n).address);
      for (const n of group) {
        const ns = hostOf(n).ns;
        this.filtered.add(ns);
        const rules = others.flatMap((a) => [`-A INPUT -s ${a} -j DROP`, `-A OUTPUT -d ${a} -j DROP`]);
        work.push(iptablesRestore(ns, ['*filter', ...rules, 'COMMIT', ''].join('\n')));
      }
    }
    const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Undoes `partition` (either mode): every host on the one bridge, no drop rule left. */
  async heal(): Promise<void> {
    for (const h of this.hosts.values()) await ip(['-n', this.switchNs, 'link', 'set', h.veth, 'master', 'br0']);
    for (const b of this.bridges) await ip(['-n', this.switchNs, 'link', 'del', b]);
    this.bridges.clear();
    for (const ns of this.filtered) {
      await iptables(ns, ['-F', 'INPUT']);
      await iptables(ns, ['-F', 'OUTPUT']);
    }
    this.filtered.clear();
  }

  /** Stops every process of the run and removes everything it made. Idempotent. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    for (const c of this.children) {
      try {
        if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of [...[...this.hosts.values()].map((h) => h.ns), this.switchNs]) removeNetnsSync(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
