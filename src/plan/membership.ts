// PURE. Membership changes of a running cluster: the next member's name, ports and etcd arguments, the plan's
// totals after a change, and the quorum rule that refuses a removal.
import { LabError, EXIT } from '../errors.js';
import { faultToleranceOf, quorumOf } from './count.js';
import { CHAOS_PEER_HOST } from './plan.js';
import { memberTlsFiles } from './tls.js';
import type { ClusterPlan, MemberPlan, MemberPorts } from './types.js';

const MAX_PORT = 65535;

/** The next `<prefix>N` when every name is `<prefix><number>` with one prefix; null when the names follow no such scheme. */
export function nextMemberName(names: readonly string[]): string | null {
  let prefix: string | null = null;
  let max = 0;
  for (const n of names) {
    const m = /^(.*?)(\d+)$/.exec(n);
    if (!m) return null;
    if (prefix !== null && m[1] !== prefix) return null;
    prefix = m[1]!;
    max = Math.max(max, Number(m[2]));
  }
  if (prefix === null || prefix === '') return null;
  return `${prefix}${max + 1}`;
}

function etcdLayoutPorts(k: number): MemberPorts {
  return { client: k === 1 ? 2379 : k * 10000 + 2379, peer: k * 10000 + 2380, proxy: k * 10000 + 2381 };
}

/** Every port the plan's members use, plus `also` (e.g. the gRPC proxy). */
export function usedPorts(plan: ClusterPlan, also: readonly number[] = []): Set<number> {
  const out = new Set<number>(also);
  for (const m of plan.members) {
    out.add(m.clientPort);
    out.add(m.peerPort);
    if (m.proxyPort !== null) out.add(m.proxyPort);
  }
  return out;
}

/**
 * Where the next member goes in the plan's layout: etcd's (member k on k*10000+2379/2380/2381) when the members
 * follow it, else the first ports after the members' highest one that neither a member nor `also` uses. Null when
 * those would pass 65535.
 */
export function nextMemberPorts(plan: ClusterPlan, also: readonly number[] = []): MemberPorts | null {
  const chaos = plan.chaos;
  const used = usedPorts(plan, also);
  const etcdLike = plan.members.every((m) => {
    const k = (m.peerPort - 2380) / 10000;
    if (!Number.isInteger(k) || k < 1) return false;
    const p = etcdLayoutPorts(k);
    return m.clientPort === p.client && (m.proxyPort === null || m.proxyPort === p.proxy);
  });
  if (etcdLike) {
    for (let k = 2; k * 10000 + 2381 <= MAX_PORT; k++) {
      const p = etcdLayoutPorts(k);
      if (!used.has(p.client) && !used.has(p.peer) && !used.has(p.proxy!)) {
        return chaos ? p : { client: p.client, peer: p.peer };
      }
    }
    return null;
  }
  const picked: number[] = [];
  for (let p = Math.max(...usedPorts(plan)) + 1; p <= MAX_PORT && picked.length < (chaos ? 3 : 2); p++) {
    if (!used.has(p)) picked.push(p);
  }
  if (picked.length < (chaos ? 3 : 2)) return null;
  return { client: picked[0]!, peer: picked[1]!, ...(chaos ? { proxy: picked[2]! } : {}) };
}

function hostURL(protocol: string, host: string, port: number): string {
  return `${protocol}//${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function setFlag(args: string[], flag: string, value: string): string[] {
  const out = [...args];
  const i = out.indexOf(flag);
  if (i >= 0) {
    out[i + 1] = value;
    return out;
  }
  const j = out.findIndex((a) => a.startsWith(`${flag}=`));
  if (j >= 0) out[j] = `${flag}=${value}`;
  else out.push(flag, value);
  return out;
}

/** `name=peerURL,...`: the `--initial-cluster` value. */
export function initialClusterOf(members: readonly { name: string; peerURL: string }[]): string {
  return members.map((m) => `${m.name}=${m.peerURL}`).join(',');
}

/**
 * The plan of a member joining the running cluster: the shared flags are those of the member with the fewest
 * arguments (so no other member's own extra args are copied), the member's own flags are set for it, and it
 * starts with `--initial-cluster-state existing` and `--initial-cluster` = the cluster's members and itself.
 */
export function joiningMemberPlan(
  plan: ClusterPlan,
  o: { name: string; ports: MemberPorts; cluster: readonly { name: string; peerURL: string }[] },
): MemberPlan {
  const template = [...plan.members].sort((a, b) => a.args.length - b.args.length)[0];
  if (!template) throw new LabError('INTERNAL', 'a member cannot join a cluster with no members');
  const protocol = new URL(template.clientURL).protocol;
  const peerURL = hostURL(protocol, plan.chaos ? CHAOS_PEER_HOST : plan.host, o.ports.peer);
  const clientURL = hostURL(protocol, plan.host, o.ports.client);
  const listenPeerURL = hostURL(protocol, plan.chaos ? '127.0.0.1' : plan.host, o.ports.peer);
  const dataDir = `${plan.dir.replace(/\/+$/, '')}/data/${o.name}`;
  const cluster = [...o.cluster.filter((m) => m.name !== o.name), { name: o.name, peerURL }];
  let args = template.args;
  for (const [flag, value] of [
    ['--name', o.name],
    ['--data-dir', dataDir],
    ['--listen-client-urls', clientURL],
    ['--advertise-client-urls', clientURL],
    ['--listen-peer-urls', listenPeerURL],
    ['--initial-advertise-peer-urls', peerURL],
    ['--initial-cluster', initialClusterOf(cluster)],
    ['--initial-cluster-state', 'existing'],
  ] as const) {
    args = setFlag(args, flag, value);
  }
  if (plan.tls) {
    const f = memberTlsFiles(plan.tls, o.name);
    for (const [flag, value] of [
      ['--cert-file', f.certFile],
      ['--key-file', f.keyFile],
      ['--peer-cert-file', f.peerCertFile],
      ['--peer-key-file', f.peerKeyFile],
    ] as const) {
      args = setFlag(args, flag, value);
    }
  }
  const env = { ...template.env };
  if (plan.chaos) {
    if (o.ports.proxy === undefined) throw new LabError('INTERNAL', `${o.name} needs a proxy port in chaos mode`);
    for (const k of Object.keys(env)) if (/^https?_proxy$/i.test(k)) env[k] = `http://127.0.0.1:${o.ports.proxy}`;
  }
  return {
    index: Math.max(0, ...plan.members.map((m) => m.index)) + 1,
    name: o.name,
    clientPort: o.ports.client,
    peerPort: o.ports.peer,
    proxyPort: plan.chaos ? (o.ports.proxy ?? null) : null,
    clientURL,
    peerURL,
    listenClientURL: clientURL,
    listenPeerURL,
    dataDir,
    args,
    env,
  };
}

/** The member moved to a new peer port (a node migration): same name, data dir and client URL. */
export function movedMemberPlan(plan: ClusterPlan, member: MemberPlan, peerPort: number): MemberPlan {
  const protocol = new URL(member.peerURL).protocol;
  const peerURL = hostURL(protocol, plan.chaos ? CHAOS_PEER_HOST : plan.host, peerPort);
  const listenPeerURL = hostURL(protocol, plan.chaos ? '127.0.0.1' : plan.host, peerPort);
  const cluster = plan.members.map((m) => (m.name === member.name ? { name: m.name, peerURL } : m));
  let args = member.args;
  for (const [flag, value] of [
    ['--listen-peer-urls', listenPeerURL],
    ['--initial-advertise-peer-urls', peerURL],
    ['--initial-cluster', initialClusterOf(cluster)],
  ] as const) {
    args = setFlag(args, flag, value);
  }
  return { ...member, peerPort, peerURL, listenPeerURL, args };
}

/** Quorum, fault tolerance and `initialCluster` of the plan for its current members (learners do not vote). */
export function planTotals(members: readonly MemberPlan[], learners: ReadonlySet<string> = new Set()): Pick<ClusterPlan, 'quorum' | 'faultTolerance' | 'initialCluster'> {
  const voters = members.filter((m) => !learners.has(m.name)).length;
  return { quorum: quorumOf(voters), faultTolerance: faultToleranceOf(voters), initialCluster: initialClusterOf(members) };
}

export interface MemberView {
  name: string;
  /** A voting member (not a learner). */
  voter: boolean;
  /** Its process runs and is not paused. */
  up: boolean;
}

function list(names: string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}

/**
 * Refuses a removal that leaves no cluster, or that would leave fewer voting members up than the smaller cluster's
 * quorum. A learner can always go (it does not vote) as long as the cluster has a quorum to commit the change.
 */
export function checkRemoval(members: readonly MemberView[], name: string): void {
  const target = members.find((m) => m.name === name);
  if (!target) throw new LabError('UNKNOWN_MEMBER', `there is no member "${name}"`, { hint: `members: ${list(members.map((m) => m.name))}` });
  if (members.length === 1) {
    throw new LabError('MEMBERSHIP', `${name} is the last member: removing it would leave no cluster`, {
      hint: 'stop the cluster with `etcd-lab down` (`--clean` also deletes it)',
      exitCode: EXIT.usage,
    });
  }
  const voters = members.filter((m) => m.voter);
  const upNow = voters.filter((m) => m.up);
  if (upNow.length < quorumOf(voters.length)) {
    throw new LabError(
      'MEMBERSHIP',
      `cannot remove ${name}: the cluster has no quorum now (${upNow.length} of ${voters.length} voting members up: ${list(upNow.map((m) => m.name))}; ${quorumOf(voters.length)} needed), so it cannot commit the change`,
      { hint: 'start the members that are down first (etcd-lab run start <member>)', exitCode: EXIT.usage },
    );
  }
  if (!target.voter) return;
  if (voters.length === 1) {
    throw new LabError('MEMBERSHIP', `${name} is the only voting member: removing it would leave only learners, which cannot elect a leader`, {
      hint: `promote a learner first: etcd-lab member promote ${members.find((m) => !m.voter)?.name ?? '<learner>'}`,
      exitCode: EXIT.usage,
    });
  }
  const after = voters.filter((m) => m.name !== name);
  const upAfter = after.filter((m) => m.up);
  const need = quorumOf(after.length);
  if (upAfter.length < need) {
    const down = after.filter((m) => !m.up).map((m) => m.name);
    throw new LabError(
      'MEMBERSHIP',
      `removing ${name} leaves ${upAfter.length} of ${after.length} voting members up (${list(upAfter.map((m) => m.name))}; ${list(down)} down), ` +
        `and a ${after.length}-member cluster needs ${need} for quorum: it would stop accepting writes`,
      { hint: `start ${list(down)} first (etcd-lab run start ${down[0] ?? '<member>'}), or remove a member that is down`, exitCode: EXIT.usage },
    );
  }
}

/**
 * Refuses a migration (the member is down for a moment) that would lose quorum meanwhile. A single-member
 * cluster is moved without that check: its own change commits before it stops.
 */
export function checkMove(members: readonly MemberView[], name: string): void {
  const target = members.find((m) => m.name === name);
  if (!target) throw new LabError('UNKNOWN_MEMBER', `there is no member "${name}"`, { hint: `members: ${list(members.map((m) => m.name))}` });
  if (members.length === 1 || !target.voter) return;
  const voters = members.filter((m) => m.voter);
  const upOthers = voters.filter((m) => m.up && m.name !== name);
  const need = quorumOf(voters.length);
  if (upOthers.length < need) {
    throw new LabError(
      'MEMBERSHIP',
      `replacing ${name} takes it down for a moment: ${upOthers.length} of ${voters.length} voting members would stay up (${list(upOthers.map((m) => m.name))}), ` +
        `and ${need} are needed for quorum`,
      { hint: 'start the members that are down first (etcd-lab run start <member>)', exitCode: EXIT.usage },
    );
  }
}
