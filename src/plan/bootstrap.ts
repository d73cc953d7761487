// PURE. How the members of a multi-host plan find each other the first time: a static --initial-cluster, an
// existing etcd cluster used as a discovery service, or DNS SRV records. README "Beyond one machine" has the facts.
import { LabError } from '../errors.js';
import type { EtcdVersion } from './types.js';

export type BootstrapMode = 'static' | 'discovery' | 'dns';
export const BOOTSTRAP_MODES: readonly BootstrapMode[] = ['static', 'discovery', 'dns'];

/** What the user asked for. */
export interface BootstrapSpec {
  mode: BootstrapMode;
  /** discovery: client URLs of the existing etcd cluster that serves discovery. */
  discoveryEndpoints?: string[];
  /** discovery: the token naming this cluster there (default: the cluster token). */
  discoveryToken?: string;
  /** dns: the domain whose SRV records name the members (`--discovery-srv`). */
  dnsDomain?: string;
}

/** etcd 3.4/3.5 speak the v2 discovery protocol (a URL on the v2 keys API); 3.6 adds v3 discovery, and v2's API is gone. */
export type DiscoveryProtocol = 'v2' | 'v3';

export function discoveryProtocolFor(v: EtcdVersion): DiscoveryProtocol {
  return v.major > 3 || (v.major === 3 && v.minor >= 6) ? 'v3' : 'v2';
}

/** The key prefix both discovery protocols use by convention (etcd docs, "Discovery service protocol"). */
export const DISCOVERY_PREFIX = '/_etcd/registry';

export interface SrvRecord {
  /** e.g. `_etcd-server._tcp.example.com` */
  name: string;
  target: string;
  port: number;
}

export interface AddressRecord {
  name: string;
  type: 'A' | 'AAAA';
  address: string;
}

export type BootstrapPlan =
  | { mode: 'static'; initialCluster: string }
  | {
      mode: 'discovery';
      protocol: 'v2';
      token: string;
      size: number;
      /** `--discovery` of every member. */
      url: string;
      /** Before the members start: PUT `value=<size>` to this URL. */
      sizeURL: string;
    }
  | {
      mode: 'discovery';
      protocol: 'v3';
      token: string;
      size: number;
      endpoints: string[];
      /** Before the members start: put this key with the size as value. */
      sizeKey: string;
    }
  | { mode: 'dns'; domain: string; srv: SrvRecord[]; addresses: AddressRecord[] };

export interface BootstrapMember {
  name: string;
  /** Host name or address in the member's advertised URLs. */
  advertiseHost: string;
  /** The address the member's host has (for the DNS A/AAAA record), when it is an IP. */
  ip: string | null;
  clientPort: number;
  peerPort: number;
}

function discoveryEndpoints(spec: BootstrapSpec): string[] {
  const eps = spec.discoveryEndpoints ?? [];
  if (eps.length === 0) {
    throw new LabError('USAGE', '--bootstrap discovery needs the client URLs of an existing etcd cluster that serves discovery', {
      hint: 'pass --discovery-endpoints http://10.0.1.5:2379 (any etcd cluster you run; on etcd 3.4/3.5 it needs --enable-v2)',
    });
  }
  for (const e of eps) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(e)) {
      throw new LabError('USAGE', `--discovery-endpoints: "${e}" is not a client URL`, { hint: 'e.g. http://10.0.1.5:2379' });
    }
  }
  return eps.map((e) => e.replace(/\/$/, ''));
}

function checkDomain(domain: string | undefined): string {
  if (domain === undefined || domain.trim() === '') {
    throw new LabError('USAGE', '--bootstrap dns needs the domain whose SRV records list the members', {
      hint: 'pass --dns-domain example.com; `etcd-lab plan` prints the records to create',
    });
  }
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(d) || !d.includes('.')) {
    throw new LabError('USAGE', `--dns-domain "${domain}" is not a domain name`, { hint: 'e.g. --dns-domain etcd.example.com' });
  }
  return d;
}

/** The member's host name in DNS mode: its own name when the host is a name, else `<member>.<domain>`. */
export function dnsHostName(name: string, address: string, isIp: boolean, domain: string): string {
  return isIp ? `${name.toLowerCase()}.${domain}` : address;
}

/** The DNS domain of a `dns` spec, checked (for planners that need it before the members are known). */
export function bootstrapDomain(spec: BootstrapSpec): string | null {
  return spec.mode === 'dns' ? checkDomain(spec.dnsDomain) : null;
}

export function planBootstrap(spec: BootstrapSpec, v: EtcdVersion, token: string, members: BootstrapMember[], tls: boolean): BootstrapPlan {
  const scheme = tls ? 'https' : 'http';
  const peerURL = (m: BootstrapMember) => `${scheme}://${m.advertiseHost.includes(':') ? `[${m.advertiseHost}]` : m.advertiseHost}:${m.peerPort}`;
  switch (spec.mode) {
    case 'static':
      return { mode: 'static', initialCluster: members.map((m) => `${m.name}=${peerURL(m)}`).join(',') };
    case 'discovery': {
      const endpoints = discoveryEndpoints(spec);
      const dtoken = spec.discoveryToken ?? token;
      if (!/^[A-Za-z0-9._-]+$/.test(dtoken)) {
        throw new LabError('USAGE', `--discovery-token "${dtoken}" may hold only letters, digits, ".", "_" and "-"`);
      }
      if (discoveryProtocolFor(v) === 'v2') {
        const url = `${endpoints[0]}/v2/keys${DISCOVERY_PREFIX}/${dtoken}`;
        return { mode: 'discovery', protocol: 'v2', token: dtoken, size: members.length, url, sizeURL: `${url}/_config/size` };
      }
      return { mode: 'discovery', protocol: 'v3', token: dtoken, size: members.length, endpoints, sizeKey: `${DISCOVERY_PREFIX}/${dtoken}/_config/size` };
    }
    case 'dns': {
      const domain = checkDomain(spec.dnsDomain);
      const suffix = tls ? '-ssl' : '';
      const srv: SrvRecord[] = [
        ...members.map((m) => ({ name: `_etcd-server${suffix}._tcp.${domain}`, target: m.advertiseHost, port: m.peerPort })),
        ...members.map((m) => ({ name: `_etcd-client${suffix}._tcp.${domain}`, target: m.advertiseHost, port: m.clientPort })),
      ];
      const addresses: AddressRecord[] = members
        .filter((m) => m.ip !== null && m.advertiseHost !== m.ip)
        .map((m) => ({ name: m.advertiseHost, type: m.ip!.includes(':') ? 'AAAA' : 'A', address: m.ip! }));
      return { mode: 'dns', domain, srv, addresses };
    }
    default:
      throw new LabError('USAGE', `unknown bootstrap mode "${String((spec as BootstrapSpec).mode)}"`, { hint: 'use --bootstrap static, discovery or dns' });
  }
}

/** The etcd flags that make a member bootstrap this way (they replace --initial-cluster). */
export function bootstrapArgs(b: BootstrapPlan): string[] {
  switch (b.mode) {
    case 'static':
      return ['--initial-cluster', b.initialCluster];
    case 'discovery':
      return b.protocol === 'v2' ? ['--discovery', b.url] : ['--discovery-token', b.token, '--discovery-endpoints', b.endpoints.join(',')];
    case 'dns':
      return ['--discovery-srv', b.domain];
  }
}

/** The records as zone-file lines, to paste into a DNS server. */
export function zoneLines(b: Extract<BootstrapPlan, { mode: 'dns' }>): string[] {
  return [
    ...b.srv.map((r) => `${r.name}. 300 IN SRV 0 0 ${r.port} ${r.target}.`),
    ...b.addresses.map((r) => `${r.name}. 300 IN ${r.type} ${r.address}`),
  ];
}

/** The same records as dnsmasq options (authoritative for these names only). */
export function dnsmasqRecordArgs(b: Extract<BootstrapPlan, { mode: 'dns' }>): string[] {
  return [
    ...b.srv.map((r) => `--srv-host=${r.name},${r.target},${r.port},0,0`),
    ...b.addresses.map((r) => `--host-record=${r.name},${r.address}`),
  ];
}
