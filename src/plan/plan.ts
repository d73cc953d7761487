import { posix } from 'node:path';
import { LabError } from '../errors.js';
import { DEFAULT_DIR } from './default-dir.js';
import { checkMemberCount, faultToleranceOf, quorumOf } from './count.js';
import { checkDialect, dialectArgs, dialectWarnings } from './dialect.js';
import { layoutPorts } from './ports.js';
import { bootstrapAnchor } from './start-order.js';
import { tlsArgs, tlsPlanOf } from './tls.js';
import type { ClusterPlan, ClusterSpec, EtcdVersion, MemberPlan, Profile } from './types.js';

export const PROFILES: Record<Profile, { heartbeatInterval: number; electionTimeout: number }> = {
  fast: { heartbeatInterval: 10, electionTimeout: 100 },
  default: { heartbeatInterval: 100, electionTimeout: 1000 },
};

/** Host peers are advertised on in chaos mode: Go's proxy logic bypasses `localhost` and IP literals but not this (docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side). */
export const CHAOS_PEER_HOST = 'localhost.';

/**
 * Up to this election timeout members start with `--initial-election-tick-advance=false`. The advance lets a new member
 * campaign two ticks after its peers answer; with short timeouts, members started tens of ms apart then campaign over
 * each other, a leader can be deposed right after winning, its own `publish` proposal is overwritten, and it serves
 * clients only when etcd retries the publish 5 s later. Pre-vote (3.4: dialect.ts) makes that rare, not impossible:
 * two 5-member fast clusters started side by side, 25 times each, stalled once with the advance and never without it.
 * The advance saves 80 % of an election timeout on the first election, which is worth it for the 1000 ms default.
 * The bootstrap anchor (start-order.ts) keeps it even then: it starts first, so it is the one whose timer would fire
 * first anyway, and with it alone advancing, one member campaigns early and none campaigns over another. 3 members,
 * fast profile: `up -d` ready in a median 251 ms instead of 319 ms (bench/findings.md).
 */
export const NO_TICK_ADVANCE_MAX_ELECTION_MS = 250;

/**
 * PURE. The arguments every member of a new cluster takes after its names and URLs, in the order etcd-lab writes
 * them (plan.ts for one machine, hosts.ts for many): token, timing, storage limits, TLS, the version's dialect and
 * the user's extra arguments last (they win).
 */
export function newMemberArgs(o: {
  token: string;
  heartbeatInterval: number;
  electionTimeout: number;
  spec: { quotaBackendBytes?: number | undefined; snapshotCount?: number | undefined; extraArgs: readonly string[] };
  tls: string[];
  dialect: string[];
  /** The bootstrap anchor (start-order.ts): it keeps etcd's initial election tick advance (above). */
  anchor: boolean;
}): string[] {
  // prettier-ignore
  return [
    '--initial-cluster-token', o.token,
    '--initial-cluster-state', 'new',
    '--heartbeat-interval', String(o.heartbeatInterval),
    '--election-timeout', String(o.electionTimeout),
    ...(o.electionTimeout <= NO_TICK_ADVANCE_MAX_ELECTION_MS && !o.anchor ? ['--initial-election-tick-advance=false'] : []),
    ...(o.spec.quotaBackendBytes !== undefined ? ['--quota-backend-bytes', String(o.spec.quotaBackendBytes)] : []),
    ...(o.spec.snapshotCount !== undefined ? ['--snapshot-count', String(o.spec.snapshotCount)] : []),
    ...o.tls,
    ...o.dialect,
    ...o.spec.extraArgs,
  ];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function defaultSpec(): ClusterSpec {
  return {
    nodes: 3,
    allowEven: false,
    namePrefix: 'm',
    host: '127.0.0.1',
    dir: DEFAULT_DIR,
    ports: { kind: 'etcd' },
    profile: 'fast',
    extraArgs: [],
    memberExtraArgs: {},
    chaos: false,
  };
}

export function memberNames(spec: Pick<ClusterSpec, 'nodes' | 'namePrefix' | 'names'>): string[] {
  const names = spec.names ?? Array.from({ length: spec.nodes }, (_, i) => `${spec.namePrefix}${i + 1}`);
  if (names.length !== spec.nodes) {
    throw new LabError('BAD_NAME', `${names.length} names given for ${spec.nodes} members`, {
      hint: 'give one name per member, or drop `names` to use the prefix',
    });
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (!NAME_RE.test(n)) {
      throw new LabError('BAD_NAME', `member name "${n}" is not allowed`, {
        hint: 'names use letters, digits, "-" and "_", and start with a letter or digit (they name processes, files and Procfile entries)',
      });
    }
    if (seen.has(n)) throw new LabError('BAD_NAME', `member name "${n}" is used twice`);
    seen.add(n);
  }
  return names;
}

function checkTiming(heartbeat: number, election: number): void {
  for (const [flag, v] of [['--heartbeat-interval', heartbeat], ['--election-timeout', election]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new LabError('BAD_TIMING', `${flag} must be a positive whole number of milliseconds, got ${v}`);
    }
  }
  if (election < 5 * heartbeat) {
    throw new LabError(
      'BAD_TIMING',
      `--election-timeout ${election} ms is less than 5x --heartbeat-interval ${heartbeat} ms; etcd refuses to start with that`,
      { hint: `raise --election-timeout to at least ${5 * heartbeat}, or use --profile fast (10/100) or default (100/1000)` },
    );
  }
  if (election > 50000) {
    throw new LabError('BAD_TIMING', `--election-timeout ${election} ms is more than etcd's maximum of 50000 ms`);
  }
}

function url(host: string, port: number, tls = false): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The member's own proxy for its peer requests. With TLS peers Go reads HTTPS_PROXY (and sends CONNECT); a
 * non-loopback --host is kept off the proxy, else the member's gRPC gateway would dial its own client port through it.
 */
function chaosProxyEnv(proxyPort: number, host: string, tls: boolean): Record<string, string> {
  const proxy = `http://127.0.0.1:${proxyPort}`;
  if (!tls) return { HTTP_PROXY: proxy };
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  return { HTTPS_PROXY: proxy, ...(loopback ? {} : { NO_PROXY: host }) };
}

function publicHostWarning(host: string): string[] {
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') return [];
  return [`members listen on ${host}: they are reachable from other machines, with no authentication`];
}

/**
 * Turns what the user asked for into the exact members, URLs and etcd arguments. Pure: the token and the
 * etcd version are inputs, and `auto` ports must already be resolved.
 */
export function buildPlan(spec: ClusterSpec, etcdVersion: EtcdVersion, token: string): ClusterPlan {
  const warnings = checkMemberCount(spec.nodes, spec.allowEven);
  const names = memberNames(spec);
  if (spec.host === '0.0.0.0' || spec.host === '::') {
    throw new LabError('USAGE', `--host ${spec.host} cannot be advertised to clients and peers`, {
      hint: "give this machine's address that others should use, e.g. --host 192.168.1.20",
    });
  }
  const timing = PROFILES[spec.profile];
  if (!timing) throw new LabError('USAGE', `unknown profile "${String(spec.profile)}"`, { hint: 'use --profile fast or --profile default' });
  const heartbeatInterval = spec.heartbeatInterval ?? timing.heartbeatInterval;
  const electionTimeout = spec.electionTimeout ?? timing.electionTimeout;
  checkTiming(heartbeatInterval, electionTimeout);
  for (const [flag, v] of [['--quota-backend-bytes', spec.quotaBackendBytes], ['--snapshot-count', spec.snapshotCount]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
      throw new LabError('USAGE', `${flag} must be a positive whole number, got ${v}`);
    }
  }
  for (const name of Object.keys(spec.memberExtraArgs)) {
    if (!names.includes(name)) {
      throw new LabError('UNKNOWN_MEMBER', `extra args are given for member "${name}", which is not in the cluster (${names.join(', ')})`);
    }
  }
  if (token.trim() === '') throw new LabError('USAGE', 'the cluster token must not be empty');

  const ports = layoutPorts(spec.ports, spec.nodes, spec.chaos);
  const peerHost = spec.chaos ? CHAOS_PEER_HOST : spec.host;
  const tls = spec.tls ? tlsPlanOf(spec.dir, spec.host) : undefined;
  const peerURLs = ports.map((p) => url(peerHost, p.peer, tls !== undefined));
  const initialCluster = names.map((n, i) => `${n}=${peerURLs[i]}`).join(',');
  const anchor = bootstrapAnchor(peerURLs.map((peerURL) => ({ peerURL })));
  const dialect = dialectArgs(etcdVersion);
  checkDialect(etcdVersion, spec.extraArgs, '--extra-arg');
  for (const [name, extra] of Object.entries(spec.memberExtraArgs)) checkDialect(etcdVersion, extra, `extra args of ${name}`);
  warnings.push(...(tls ? [] : publicHostWarning(spec.host)), ...dialectWarnings(etcdVersion, spec.extraArgs));

  const members: MemberPlan[] = names.map((name, i) => {
    const p = ports[i]!;
    const clientURL = url(spec.host, p.client, tls !== undefined);
    const listenPeerURL = url(spec.chaos ? '127.0.0.1' : spec.host, p.peer, tls !== undefined);
    const dataDir = posix.join(spec.dir, 'data', name);
    const extra = spec.memberExtraArgs[name] ?? [];
    warnings.push(...dialectWarnings(etcdVersion, extra).map((w) => `${name}: ${w}`));
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientURL,
      '--advertise-client-urls', clientURL,
      '--listen-peer-urls', listenPeerURL,
      '--initial-advertise-peer-urls', peerURLs[i]!,
      '--initial-cluster', initialCluster,
      ...newMemberArgs({ token, heartbeatInterval, electionTimeout, spec, tls: tls ? tlsArgs(tls, name) : [], dialect, anchor: i === anchor }),
      ...extra,
    ];
    const env: Record<string, string> = {};
    if (spec.chaos && p.proxy !== undefined) Object.assign(env, chaosProxyEnv(p.proxy, spec.host, tls !== undefined));
    return {
      index: i + 1,
      name,
      clientPort: p.client,
      peerPort: p.peer,
      proxyPort: spec.chaos ? (p.proxy ?? null) : null,
      clientURL,
      peerURL: peerURLs[i]!,
      listenClientURL: clientURL,
      listenPeerURL,
      dataDir,
      args,
      env,
    };
  });

  return {
    version: 1,
    token,
    dir: spec.dir,
    host: spec.host,
    etcdVersion,
    profile: spec.profile,
    heartbeatInterval,
    electionTimeout,
    quorum: quorumOf(spec.nodes),
    faultTolerance: faultToleranceOf(spec.nodes),
    chaos: spec.chaos,
    ...(tls ? { tls } : {}),
    initialCluster,
    members,
    warnings,
  };
}

/** Every port the plan will bind, with who binds it (for the "port in use" check before anything starts). */
export function planPorts(plan: ClusterPlan): { port: number; member: string; role: 'client' | 'peer' | 'proxy' }[] {
  return plan.members.flatMap((m) => [
    { port: m.clientPort, member: m.name, role: 'client' as const },
    { port: m.peerPort, member: m.name, role: 'peer' as const },
    ...(m.proxyPort !== null ? [{ port: m.proxyPort, member: m.name, role: 'proxy' as const }] : []),
  ]);
}

/** Arguments for a member rejoining an existing cluster (state "existing"), e.g. after `member add`. */
export function withClusterState(args: string[], state: 'new' | 'existing'): string[] {
  const out = [...args];
  const i = out.indexOf('--initial-cluster-state');
  if (i >= 0) out[i + 1] = state;
  else out.push('--initial-cluster-state', state);
  return out;
}
