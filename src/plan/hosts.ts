// PURE. The plan for real hosts: one member per host, each listening on its own address on etcd's ports, bootstrapped
// statically, through a discovery cluster or through DNS SRV records (bootstrap.ts). Same count rules, timing checks
// and version dialect as the one-machine plan (plan.ts).
import { posix } from 'node:path';
import { LabError } from '../errors.js';
import { bootstrapArgs, bootstrapDomain, dnsHostName, planBootstrap, type BootstrapPlan, type BootstrapSpec } from './bootstrap.js';
import { checkMemberCount, faultToleranceOf, quorumOf } from './count.js';
import { dialectArgs, dialectWarnings } from './dialect.js';
import { hostURL, parseAddress, type AddressKind } from './host-address.js';
import { PROFILES, memberNames, newMemberArgs } from './plan.js';
import { bootstrapAnchor } from './start-order.js';
import { memberTlsFiles, tlsArgs, type TlsPlan } from './tls.js';
import type { EtcdVersion, Profile } from './types.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** etcd's own default data dir on a host (one member per host). */
export const DEFAULT_HOST_DATA_DIR = '/var/lib/etcd';
export const DEFAULT_HOST_PKI_DIR = '/etc/etcd/pki';

/** One host as the user gave it (`--hosts` entry or an item of `hosts:` in etcd-lab.yaml). */
export interface HostSpec {
  address: string;
  name?: string;
  dataDir?: string;
  clientPort?: number;
  peerPort?: number;
  /** Where this entry came from, for messages (`--hosts entry 2`, `etcd-lab.yaml:4:5`). */
  where?: string;
}

export interface HostsSpec {
  hosts: HostSpec[];
  allowEven: boolean;
  namePrefix: string;
  /** Data dir of a member whose host gives none. */
  dataDir: string;
  profile: Profile;
  heartbeatInterval?: number;
  electionTimeout?: number;
  quotaBackendBytes?: number;
  snapshotCount?: number;
  extraArgs: string[];
  bootstrap: BootstrapSpec;
  tls?: boolean;
  /** Where the certificates lie on every host (a folder per member inside, as on one machine). */
  pkiDir?: string;
}

export interface HostMemberPlan {
  index: number;
  name: string;
  /** The host's address as given (no brackets). */
  address: string;
  addressKind: AddressKind;
  clientPort: number;
  peerPort: number;
  /** The host name or address in advertised URLs (a DNS name in `dns` bootstrap). */
  advertiseHost: string;
  clientURL: string;
  peerURL: string;
  listenClientURLs: string[];
  listenPeerURL: string;
  dataDir: string;
  /** subjectAltName entries this member's certificates need (TLS only; openssl spelling). */
  sans: string[];
  args: string[];
}

export interface HostsPlan {
  kind: 'hosts';
  token: string;
  etcdVersion: EtcdVersion;
  profile: Profile;
  heartbeatInterval: number;
  electionTimeout: number;
  quorum: number;
  faultTolerance: number;
  bootstrap: BootstrapPlan;
  tls?: TlsPlan;
  members: HostMemberPlan[];
  /** Client URLs of every member, comma-separated (etcdctl --endpoints). */
  endpoints: string;
  warnings: string[];
}

/** Parses `--hosts a,b,c`; an entry may name its member: `db1=10.0.1.10`. */
export function parseHostsOption(text: string): HostSpec[] {
  const entries = text.split(',').map((s) => s.trim());
  if (entries.length === 1 && entries[0] === '') {
    throw new LabError('BAD_HOST', '--hosts is empty', { hint: 'e.g. --hosts 10.0.1.10,10.0.1.11,10.0.1.12' });
  }
  return entries.map((e, i) => {
    const where = `--hosts entry ${i + 1}`;
    const eq = e.indexOf('=');
    if (eq < 0) return { address: e, where };
    return { name: e.slice(0, eq).trim(), address: e.slice(eq + 1).trim(), where };
  });
}

function checkPort(p: number, what: string, where: string): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new LabError('BAD_PORT', `${where}: ${what} ${p} is not a port (1-65535)`);
  return p;
}

function checkTiming(heartbeat: number, election: number): void {
  if (!Number.isInteger(heartbeat) || heartbeat <= 0 || !Number.isInteger(election) || election <= 0) {
    throw new LabError('BAD_TIMING', `heartbeat ${heartbeat} ms and election timeout ${election} ms must be positive whole numbers`);
  }
  if (election < 5 * heartbeat) {
    throw new LabError('BAD_TIMING', `--election-timeout ${election} ms is less than 5x --heartbeat-interval ${heartbeat} ms; etcd refuses to start with that`, {
      hint: `raise --election-timeout to at least ${5 * heartbeat}`,
    });
  }
}

/** Turns hosts into members, checking what a host list can get wrong. Pure: token and version are inputs. */
export function buildHostsPlan(spec: HostsSpec, etcdVersion: EtcdVersion, token: string): HostsPlan {
  const n = spec.hosts.length;
  if (n === 0) throw new LabError('BAD_HOST', 'no hosts given', { hint: 'e.g. --hosts 10.0.1.10,10.0.1.11,10.0.1.12' });
  const warnings = checkMemberCount(n, spec.allowEven, 'hosts');
  if (token.trim() === '') throw new LabError('USAGE', 'the cluster token must not be empty');
  const given = spec.hosts.map((h) => h.name);
  const names = given.every((g) => g === undefined)
    ? memberNames({ nodes: n, namePrefix: spec.namePrefix })
    : memberNames({ nodes: n, namePrefix: spec.namePrefix, names: given.map((g, i) => g ?? `${spec.namePrefix}${i + 1}`) });
  const domain = bootstrapDomain(spec.bootstrap);
  const tls = spec.tls === true;

  const hosts = spec.hosts.map((h, i) => {
    const where = h.where ?? `host ${i + 1}`;
    const { address, kind } = parseAddress(h.address, where);
    const clientPort = checkPort(h.clientPort ?? ETCD_CLIENT_PORT, 'client port', where);
    const peerPort = checkPort(h.peerPort ?? ETCD_PEER_PORT, 'peer port', where);
    if (clientPort === peerPort) throw new LabError('BAD_PORT', `${where}: client and peer port are both ${clientPort}`);
    return { name: names[i]!, address, kind, clientPort, peerPort, where, dataDir: h.dataDir };
  });
  // Two members on one host must not share a port; the same host twice with etcd's ports is a duplicate.
  const taken = new Map<string, string>();
  for (const h of hosts) {
    for (const [role, port] of [['client', h.clientPort], ['peer', h.peerPort]] as const) {
      const key = `${h.address}:${port}`;
      const other = taken.get(key);
      if (other !== undefined) {
        const dup = hosts.filter((x) => x.address === h.address).length > 1 && h.clientPort === ETCD_CLIENT_PORT && h.peerPort === ETCD_PEER_PORT;
        throw new LabError(dup ? 'BAD_HOST' : 'BAD_PORT', `${h.where}: ${dup ? `host ${h.address} is listed twice` : `${role} port ${port} on ${h.address} is already used by ${other}`}`, {
          hint: dup ? 'list each host once (one member per host)' : 'give members that share a host different client-port / peer-port',
        });
      }
      taken.set(key, `${h.name} (${role})`);
    }
  }
  const dirs = new Map<string, string>();
  for (const h of hosts) {
    const key = `${h.address} ${h.dataDir ?? spec.dataDir}`;
    const other = dirs.get(key);
    if (other !== undefined) {
      throw new LabError('BAD_HOST', `${h.where}: ${h.name} and ${other} would share the data dir ${h.dataDir ?? spec.dataDir} on ${h.address}`, {
        hint: 'give members that share a host their own data-dir',
      });
    }
    dirs.set(key, h.name);
  }
  const shared = new Set(hosts.map((h) => h.address));
  if (shared.size < n) warnings.push(`${n - shared.size} host(s) run more than one member: losing such a host loses all its members`);

  const timing = PROFILES[spec.profile];
  if (!timing) throw new LabError('USAGE', `unknown profile "${String(spec.profile)}"`, { hint: 'use --profile fast or --profile default' });
  const heartbeatInterval = spec.heartbeatInterval ?? timing.heartbeatInterval;
  const electionTimeout = spec.electionTimeout ?? timing.electionTimeout;
  checkTiming(heartbeatInterval, electionTimeout);

  const bmembers = hosts.map((h) => ({
    name: h.name,
    advertiseHost: domain !== null ? dnsHostName(h.name, h.address, h.kind !== 'dns', domain) : h.address,
    ip: h.kind === 'dns' ? null : h.address,
    clientPort: h.clientPort,
    peerPort: h.peerPort,
  }));
  const bootstrap = planBootstrap(spec.bootstrap, etcdVersion, token, bmembers, tls);
  const pkiDir = spec.pkiDir ?? DEFAULT_HOST_PKI_DIR;
  const tlsPlan: TlsPlan | undefined = tls
    ? {
        dir: pkiDir,
        caFile: posix.join(pkiDir, 'ca.crt'),
        caKeyFile: posix.join(pkiDir, 'ca.key'),
        certFile: posix.join(pkiDir, 'client.crt'),
        keyFile: posix.join(pkiDir, 'client.key'),
        sans: ['IP:127.0.0.1', 'DNS:localhost'],
      }
    : undefined;
  if (bootstrap.mode === 'discovery' && bootstrap.protocol === 'v3' && bootstrap.endpoints.some((e) => e.startsWith('https:'))) {
    warnings.push('the discovery endpoints use https: add --discovery-cacert (and --discovery-cert/--discovery-key) with --extra-arg');
  }
  if (bootstrap.mode === 'dns' && !tls && etcdVersion.major === 3 && etcdVersion.minor === 4) {
    // Seen on 3.4.23 (README "Beyond one machine"): the member exits with "error querying DNS SRV records for _etcd-server-ssl".
    warnings.push(`etcd ${etcdVersion.text} fails a DNS bootstrap without TLS: it requires _etcd-server-ssl records (etcd-io/etcd#11321); use --tls or etcd 3.5+`);
  }
  warnings.push(...dialectWarnings(etcdVersion, spec.extraArgs));
  if (!tls) warnings.push('members listen on their hosts\' addresses without TLS or authentication: anyone who reaches them can read and write (add --tls)');

  const anchor = bootstrapAnchor(hosts.map((h, i) => ({ peerURL: hostURL(bmembers[i]!.advertiseHost, h.peerPort, tls) })));
  const members: HostMemberPlan[] = hosts.map((h, i) => {
    const b = bmembers[i]!;
    const clientURL = hostURL(b.advertiseHost, h.clientPort, tls);
    const peerURL = hostURL(b.advertiseHost, h.peerPort, tls);
    // etcd binds listen URLs to IP addresses only: a host given by name listens on all of its addresses.
    const bind = h.kind === 'dns' ? '0.0.0.0' : h.address;
    const ownClient = hostURL(bind, h.clientPort, tls);
    const loopback = hostURL(h.kind === 'ipv6' ? '::1' : '127.0.0.1', h.clientPort, tls);
    const listenClientURLs = bind === '127.0.0.1' || bind === '::1' || bind === '0.0.0.0' ? [ownClient] : [ownClient, loopback];
    const listenPeerURL = hostURL(bind, h.peerPort, tls);
    const dataDir = h.dataDir ?? spec.dataDir;
    const sans = tls
      ? [...new Set(['IP:127.0.0.1', 'DNS:localhost', `${h.kind === 'dns' ? 'DNS' : 'IP'}:${h.address}`,
          ...(b.advertiseHost !== h.address ? [`DNS:${b.advertiseHost}`] : []), ...(domain !== null ? [`DNS:${domain}`] : [])])]
      : [];
    const args = [
      '--name', h.name,
      '--data-dir', dataDir,
      '--listen-client-urls', listenClientURLs.join(','),
      '--advertise-client-urls', clientURL,
      '--listen-peer-urls', listenPeerURL,
      '--initial-advertise-peer-urls', peerURL,
      ...bootstrapArgs(bootstrap),
      ...newMemberArgs({ token, heartbeatInterval, electionTimeout, spec, tls: tlsPlan ? tlsArgs(tlsPlan, h.name) : [], dialect: dialectArgs(etcdVersion), anchor: i === anchor }),
    ];
    return {
      index: i + 1,
      name: h.name,
      address: h.address,
      addressKind: h.kind,
      clientPort: h.clientPort,
      peerPort: h.peerPort,
      advertiseHost: b.advertiseHost,
      clientURL,
      peerURL,
      listenClientURLs,
      listenPeerURL,
      dataDir,
      sans,
      args,
    };
  });
  return {
    kind: 'hosts',
    token,
    etcdVersion,
    profile: spec.profile,
    heartbeatInterval,
    electionTimeout,
    quorum: quorumOf(n),
    faultTolerance: faultToleranceOf(n),
    bootstrap,
    ...(tlsPlan ? { tls: tlsPlan } : {}),
    members,
    endpoints: members.map((m) => m.clientURL).join(','),
    warnings,
  };
}

/** The certificate files of a member on its host. */
export function hostMemberTlsFiles(plan: HostsPlan, name: string) {
  return plan.tls ? memberTlsFiles(plan.tls, name) : null;
}
