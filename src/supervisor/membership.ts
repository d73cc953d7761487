// Membership changes of the running cluster, done by its supervisor so that etcd's member list, plan.json and
// state.json stay one truth: add (voter or learner), promote, remove, replace (a node migration, or with `fresh` a
// new member in place of the old one), list.
import { lookup } from 'node:dns/promises';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT, LabError } from '../errors.js';
import { EtcdClient, isEtcdRequestError, type EtcdMember } from '../etcd/client.js';
import { checkMemberCount } from '../plan/count.js';
import {
  checkMove,
  checkRemoval,
  joiningMemberPlan,
  movedMemberPlan,
  nextMemberName,
  nextMemberPorts,
  planTotals,
  usedPorts,
  type MemberView,
} from '../plan/membership.js';
import { CHAOS_PEER_HOST, memberNames } from '../plan/plan.js';
import { shellQuote } from '../plan/quote.js';
import type { MemberPlan, MemberPorts } from '../plan/types.js';
import type { Cluster } from './cluster.js';
import type { PeerNetworkHook } from './extension.js';
import type { GrpcProxy } from './grpc-proxy.js';
import { clientTlsFor, ensurePki } from './pki.js';
import { allocatePorts, portFree } from './ports.js';

/** etcd's strict reconfiguration check wants every voting member connected to the leader for this long (HealthInterval). */
const HEALTH_INTERVAL_MS = 5000;
const RECONFIG_WAIT_MS = HEALTH_INTERVAL_MS + 3000;
const CALL_TIMEOUT_MS = 2000;
const POLL_MS = 25;
const NEW_LEADER_WAIT_MS = 3000;

export interface MembershipContext {
  cluster: Cluster;
  /** Absolute state dir. */
  dir: string;
  readyTimeoutMs: number;
  network(): PeerNetworkHook | null;
  grpcProxy(): GrpcProxy | null;
  /** Writes plan.json and state.json. */
  persist(): void;
}

export interface MemberChange {
  action: 'add' | 'promote' | 'remove' | 'replace';
  member: string;
  /** Hex member ID. */
  id: string;
  isLearner: boolean;
  clientURL: string;
  peerURL: string;
  /** replace: the peer URL before the move. */
  previousPeerURL?: string;
  /** The cluster after the change. */
  members: number;
  voters: number;
  quorum: number;
  faultTolerance: number;
  warnings: string[];
  notes: string[];
  elapsedMs: number;
}

export interface ListedMember {
  name: string;
  id: string;
  isLearner: boolean;
  state: string;
  peerURLs: string[];
  clientURLs: string[];
  /** In etcd's member list but not in plan.json (or the reverse): something went wrong half-way. */
  inPlan: boolean;
  inEtcd: boolean;
}

type Say = (text: string) => void;

/** What the user should know about a cluster of `voters` voting members (even count, more than etcd advises). */
function countWarnings(voters: number, members: number): string[] {
  return checkMemberCount(voters, true).map((w) => {
    const text = w.replace(/ \(allowed by --allow-even\)$/, '');
    return voters === members ? text : text.replace(/^(\d+) members/, `$1 voting members (of ${members})`);
  });
}

function isEtcdMessage(e: unknown, fragment: string): boolean {
  return isEtcdRequestError(e) && e.kind === 'etcd' && (e.etcdMessage ?? '').includes(fragment);
}

export class Membership {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: MembershipContext) {}

  private get cluster(): Cluster {
    return this.ctx.cluster;
  }

  private get plan() {
    return this.ctx.cluster.plan;
  }

  /** One membership change at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  add(o: { name?: string; learner?: boolean }, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => this.doAdd(o, say));
  }

  promote(name: string, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => this.doPromote(name, say));
  }

  remove(name: string, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => this.doRemove(name, say));
  }

  /**
   * Without `fresh`: a node migration (new peer URL, same member ID and data). With `fresh`: the member is removed,
   * its data dir deleted, and a new member (new ID) with the same name and ports is added and caught up.
   */
  replace(name: string, say: Say = () => undefined, opts: { fresh?: boolean } = {}): Promise<MemberChange> {
    return this.serial(() => (opts.fresh ? this.doRenew(name, say) : this.doReplace(name, say)));
  }

  /** etcd's member list joined with the plan. */
  async list(): Promise<ListedMember[]> {
    const listed = await this.memberList();
    const states = new Map(this.cluster.members().map((m) => [m.name, m.state]));
    const out: ListedMember[] = this.plan.members.map((mp) => {
      const e = this.entryOf(listed, mp);
      return {
        name: mp.name,
        id: e?.id ?? '',
        isLearner: e?.isLearner ?? false,
        state: states.get(mp.name) ?? 'unknown',
        peerURLs: e?.peerURLs ?? [mp.peerURL],
        clientURLs: e?.clientURLs ?? [],
        inPlan: true,
        inEtcd: e !== undefined,
      };
    });
    for (const e of listed) {
      if (this.plan.members.some((mp) => this.entryOf([e], mp))) continue;
      out.push({ name: e.name, id: e.id, isLearner: e.isLearner, state: 'unknown', peerURLs: e.peerURLs, clientURLs: e.clientURLs, inPlan: false, inEtcd: true });
    }
    return out;
  }

  // ---- add ----

  private async doAdd(o: { name?: string; learner?: boolean; ports?: MemberPorts }, say: Say): Promise<MemberChange> {
    const t0 = performance.now();
    this.requireUp();
    const learner = o.learner === true;
    const names = this.plan.members.map((m) => m.name);
    const name = o.name ?? nextMemberName(names);
    if (name === null) {
      throw new LabError('USAGE', `give the new member a name: the members (${names.join(', ')}) follow no <prefix><number> scheme to continue`, {
        hint: 'etcd-lab member add <name>',
      });
    }
    memberNames({ nodes: 1, namePrefix: '', names: [name] });
    if (names.includes(name)) {
      throw new LabError('BAD_NAME', `there is a member named "${name}" already`, { hint: 'choose another name, or leave it out for the next free one' });
    }
    const listed = await this.memberList();
    const voters = this.voterNames(listed);
    checkMemberCount(this.plan.members.length + 1, true);
    const down = this.plan.members.filter((m) => voters.has(m.name) && this.stateOf(m.name) !== 'running').map((m) => m.name);
    if (down.length > 0) {
      throw new LabError(
        'MEMBERSHIP',
        `cannot add ${name}: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not running, and etcd adds a member only while every voting member is connected to the leader`,
        { hint: `start ${down.length === 1 ? 'it' : 'them'} first (etcd-lab run start ${down[0]}), or remove ${down.length === 1 ? 'it' : 'them'} (etcd-lab member remove ${down[0]})` },
      );
    }
    if (this.plan.chaos) await this.requireChaosPeerHostResolves(name);
    const warnings = countWarnings(voters.size + (learner ? 0 : 1), this.plan.members.length + 1);
    const ports = o.ports ?? (await this.choosePorts());
    const draft = joiningMemberPlan(this.plan, { name, ports, cluster: this.plan.members });
    const dataDir = this.dataDirOf(draft);
    if (existsSync(join(dataDir, 'member'))) {
      throw new LabError('DIR_MISMATCH', `${dataDir} holds etcd data, but ${name} is not a member of the cluster`, {
        hint: `remove that folder (rm -r ${shellQuote(dataDir)}), or choose another name`,
      });
    }
    const network = this.ctx.network();
    if (network) await network.addMember(draft);
    let added: { member: EtcdMember; members: EtcdMember[] };
    try {
      const via = await this.leaderClient();
      try {
        say(`adding ${name} (${draft.peerURL}) as a ${learner ? 'learner' : 'voting member'} through ${via.endpoint}`);
        added = await this.reconfig(() => via.memberAdd([draft.peerURL], learner, { timeoutMs: CALL_TIMEOUT_MS }), say);
      } finally {
        via.close();
      }
    } catch (e) {
      await network?.removeMember(name);
      throw this.membershipError(`cannot add ${name}`, e);
    }

    const id = added.member.id;
    const cluster = added.members.flatMap((m) =>
      m.peerURLs.map((peerURL) => ({ name: m.id === id ? name : this.nameOf(m) ?? (m.name || `unstarted-${m.id}`), peerURL })),
    );
    const mp = joiningMemberPlan(this.plan, { name, ports, cluster });
    try {
      this.cluster.addMember(mp);
      if (this.plan.tls) await ensurePki(this.plan);
      this.ctx.persist();
      say(`starting ${name} with --initial-cluster-state existing`);
      await this.cluster.startMember(name);
      await this.waitHealthy(mp);
      await network?.verify(5000);
    } catch (e) {
      throw await this.undoAdd(mp, id, e);
    }
    const learners = new Set([...this.learnerNames(added.members), ...(learner ? [name] : [])]);
    this.settleTotals(learners);
    const notes = learner ? [`${name} is a learner: it receives the log but does not vote; promote it with etcd-lab member promote ${name}`] : [];
    await this.followWithProxy(warnings);
    return this.change('add', mp, id, learner, learners, warnings, notes, t0);
  }

  /** After a failed start of a new member: take it out of etcd's list again, or say why it stays. */
  private async undoAdd(mp: MemberPlan, id: string, cause: unknown): Promise<LabError> {
    const name = mp.name;
    const base = cause instanceof LabError && !isEtcdRequestError(cause) ? cause : this.membershipError(`${name} did not start`, cause);
    await this.cluster.stopMember(name, 0).catch(() => undefined);
    let removed = false;
    const via = await this.leaderClient().catch(() => null);
    if (via) {
      try {
        await via.memberRemove(id, { timeoutMs: CALL_TIMEOUT_MS });
        removed = true;
      } catch {
        /* reported below */
      } finally {
        via.close();
      }
    }
    if (!removed) {
      this.ctx.persist();
      return new LabError(base.code, `${base.message}; ${name} stays in the cluster (etcd counts it) but is down`, {
        details: base.details,
        hint: `see ${this.cluster.logFile(name)}; try again with etcd-lab run start ${name}, or take it out with etcd-lab member remove ${name}`,
      });
    }
    await this.cluster.removeMember(name, undefined, 0).catch(() => undefined);
    await this.ctx.network()?.removeMember(name);
    rmSync(this.dataDirOf(mp), { recursive: true, force: true });
    this.ctx.persist();
    return new LabError(base.code, `${base.message}; ${name} was taken out of the cluster again`, {
      details: base.details,
      hint: base.hint ?? `see ${join(this.ctx.dir, 'logs', `${name}.log`)}`,
    });
  }

  /**
   * A joining member compares its --initial-cluster with the cluster's advertised peer URLs by resolving their
   * hosts (etcd skips only `localhost` and IP literals), and chaos mode advertises `localhost.`: without a resolver
   * that answers for it (systemd-resolved does; /etc/hosts lists `localhost` without the dot) the member waits 30 s
   * and gives up.
   */
  private async requireChaosPeerHostResolves(name: string): Promise<void> {
    const ok = await lookup(CHAOS_PEER_HOST).then(() => true, () => false);
    if (ok) return;
    throw new LabError(
      'MEMBERSHIP',
      `cannot add ${name} in chaos mode: a joining member resolves its peers' host "${CHAOS_PEER_HOST}" (etcd compares peer URLs by address), and this machine's resolver does not know it`,
      {
        hint: `a resolver that answers for localhost. (systemd-resolved) or a line "127.0.0.1 ${CHAOS_PEER_HOST}" in /etc/hosts makes it work; or run the cluster without --chaos`,
      },
    );
  }

  // ---- promote ----

  private async doPromote(name: string, say: Say): Promise<MemberChange> {
    const t0 = performance.now();
    this.requireUp();
    const mp = this.planned(name);
    const listed = await this.memberList();
    const entry = this.entryOf(listed, mp);
    if (!entry) throw this.notInEtcd(name);
    if (!entry.isLearner) {
      throw new LabError('MEMBERSHIP', `${name} is a voting member already: only a learner can be promoted`, {
        hint: 'a learner is added with etcd-lab member add --learner',
        exitCode: EXIT.usage,
      });
    }
    if (this.stateOf(name) !== 'running') {
      throw new LabError('MEMBERSHIP', `cannot promote ${name}: it is ${this.stateOf(name)}, and etcd promotes a learner only once it has caught up with the leader`, {
        hint: `start it first: etcd-lab run start ${name}`,
      });
    }
    const via = await this.leaderClient();
    let members: EtcdMember[];
    try {
      say(`promoting ${name} through ${via.endpoint}`);
      members = await this.untilCaughtUp(() => via.memberPromote(entry.id, { timeoutMs: CALL_TIMEOUT_MS }), name, say);
    } catch (e) {
      throw this.membershipError(`cannot promote ${name}`, e);
    } finally {
      via.close();
    }
    const learners = this.learnerNames(members);
    this.settleTotals(learners);
    const warnings = countWarnings(this.plan.members.length - learners.size, this.plan.members.length);
    return this.change('promote', mp, entry.id, false, learners, warnings, [], t0);
  }

  // ---- remove ----

  private async doRemove(name: string, say: Say): Promise<MemberChange> {
    const t0 = performance.now();
    this.requireUp();
    const mp = this.planned(name);
    const listed = await this.memberList(name);
    const voters = this.voterNames(listed);
    checkRemoval(this.views(voters), name);
    const entry = this.entryOf(listed, mp);
    const id = entry?.id ?? '';
    const via = await this.leaderClient(name);
    try {
      await this.cluster.removeMember(name, async () => {
        if (!entry) return;
        say(`removing ${name} (${id}) through ${via.endpoint}`);
        try {
          await this.reconfig(() => via.memberRemove(id, { timeoutMs: CALL_TIMEOUT_MS }), say);
        } catch (e) {
          throw this.membershipError(`cannot remove ${name}`, e);
        }
      });
    } finally {
      via.close();
    }
    await this.ctx.network()?.removeMember(name);
    rmSync(this.dataDirOf(mp), { recursive: true, force: true });
    const learners = this.learnerNames(listed.filter((m) => m.id !== id));
    this.settleTotals(learners);
    await this.waitLeader();
    const warnings = countWarnings(this.plan.members.length - learners.size, this.plan.members.length);
    await this.followWithProxy(warnings);
    const notes = [`its log stays in ${this.cluster.stateDir}/logs/${name}.log; its data dir was deleted`];
    if (!entry) notes.unshift(`${name} was not in etcd's member list: it was only taken out of the plan`);
    return this.change('remove', mp, id, entry?.isLearner ?? false, learners, warnings, notes, t0);
  }

  // ---- replace ----

  private async doReplace(name: string, say: Say): Promise<MemberChange> {
    const t0 = performance.now();
    this.requireUp();
    const mp = this.planned(name);
    const listed = await this.memberList();
    const voters = this.voterNames(listed);
    checkMove(this.views(voters), name);
    const entry = this.entryOf(listed, mp);
    if (!entry) throw this.notInEtcd(name);
    const peerPort = await this.choosePeerPort();
    const moved = movedMemberPlan(this.plan, mp, peerPort);
    const single = this.plan.members.length === 1;
    const wasRunning = this.stateOf(name) === 'running';
    const before = wasRunning ? await this.ownRevision(mp) : null;

    const update = async (via: EtcdClient): Promise<void> => {
      say(`moving ${name} from ${mp.peerURL} to ${moved.peerURL} through ${via.endpoint}`);
      try {
        await this.reconfig(() => via.memberUpdate(entry.id, [moved.peerURL], { timeoutMs: CALL_TIMEOUT_MS }), say);
      } catch (e) {
        throw this.membershipError(`cannot move ${name}`, e);
      } finally {
        via.close();
      }
    };
    // A lone member commits its own change, so it goes first; otherwise the member stops first and the others
    // commit it (a running member whose advertised URL moved away would be cut off from its peers meanwhile).
    if (single) await update(this.clientFor(mp));
    say(`stopping ${name}`);
    await this.cluster.stopMember(name);
    if (!single) await update(await this.leaderClient(name));
    this.ctx.network()?.movePeer(name, peerPort);
    this.cluster.updateMember(moved);
    this.settleTotals(this.learnerNames(listed));
    this.ctx.persist();
    say(`starting ${name} on its new peer URL with its data dir`);
    await this.cluster.startMember(name);
    await this.waitHealthy(moved);
    const after = await this.ownRevision(moved);
    const notes: string[] = [];
    if (after.id !== entry.id) {
      throw new LabError('MEMBERSHIP', `${name} came back with member ID ${after.id}, not ${entry.id}: its data dir was not used`, {
        hint: `see ${this.cluster.logFile(name)}`,
      });
    }
    if (before) {
      if (BigInt(after.revision) < BigInt(before.revision)) {
        throw new LabError('MEMBERSHIP', `${name} came back at revision ${after.revision}, behind the ${before.revision} it had before the move`, {
          hint: `see ${this.cluster.logFile(name)}`,
        });
      }
      notes.push(`same member ID ${entry.id}; revision ${before.revision} before the move, ${after.revision} after`);
    } else notes.push(`same member ID ${entry.id}`);
    await this.ctx.network()?.verify(5000);
    return { ...this.change('replace', moved, entry.id, entry.isLearner, this.learnerNames(listed), [], notes, t0), previousPeerURL: mp.peerURL };
  }

  // ---- replace --fresh: remove, then add a new member of the same name on the same ports ----

  private async doRenew(name: string, say: Say): Promise<MemberChange> {
    const t0 = performance.now();
    this.requireUp();
    const mp = this.planned(name);
    const entry = this.entryOf(await this.memberList(), mp);
    if (!entry) throw this.notInEtcd(name);
    const ports: MemberPorts = { client: mp.clientPort, peer: mp.peerPort, ...(mp.proxyPort !== null ? { proxy: mp.proxyPort } : {}) };
    await this.doRemove(name, say);
    say(`adding ${name} back as a new member with an empty data dir, on the same ports`);
    const added = await this.doAdd({ name, learner: entry.isLearner, ports }, say);
    const caughtUp = await this.waitCaughtUp(this.planned(name), say);
    const notes = [
      `new member ID ${added.id} (was ${entry.id}); its old data dir was deleted`,
      `caught up with the leader at revision ${caughtUp}`,
      ...added.notes,
    ];
    return { ...added, action: 'replace', notes, elapsedMs: Math.round(performance.now() - t0) };
  }

  /** Waits until the member's own revision reaches the leader's revision of now; returns it. */
  private async waitCaughtUp(mp: MemberPlan, say: Say): Promise<string> {
    const via = await this.leaderClient(mp.name);
    let target: bigint;
    try {
      target = BigInt((await via.status()).revision);
    } finally {
      via.close();
    }
    const deadline = Date.now() + this.ctx.readyTimeoutMs;
    let told = false;
    for (;;) {
      const own = await this.ownRevision(mp).catch(() => null);
      if (own && BigInt(own.revision) >= target) return own.revision;
      if (Date.now() > deadline) {
        throw new LabError('NOT_READY', `${mp.name} did not catch up with the leader's revision ${target} within ${this.ctx.readyTimeoutMs} ms (it is at ${own?.revision ?? 'unknown'})`, {
          hint: `see ${this.cluster.logFile(mp.name)}`,
        });
      }
      if (!told) {
        say(`waiting for ${mp.name} to catch up with revision ${target}`);
        told = true;
      }
      await delay(POLL_MS);
    }
  }

  // ---- helpers ----

  /** Points the gRPC proxy at the members now in the cluster; a failure is a warning, the change itself stands. */
  private async followWithProxy(warnings: string[]): Promise<void> {
    const proxy = this.ctx.grpcProxy();
    if (!proxy) return;
    try {
      await proxy.setEndpoints(this.plan.members.map((m) => m.clientURL));
    } catch (e) {
      warnings.push(`the gRPC proxy did not come back with the new member list: ${(e as Error).message} (see ${proxy.logFile})`);
    }
  }

  private requireUp(): void {
    if (!this.cluster.isUp) {
      throw new LabError('NOT_RUNNING', `the cluster in ${this.cluster.stateDir} is not up (it is starting or stopping)`, {
        hint: 'wait until `etcd-lab up` reports it ready',
      });
    }
  }

  private planned(name: string): MemberPlan {
    const mp = this.plan.members.find((m) => m.name === name);
    if (!mp) {
      throw new LabError('UNKNOWN_MEMBER', `there is no member "${name}" in ${this.cluster.stateDir}`, {
        hint: `members: ${this.plan.members.map((m) => m.name).join(', ')}`,
      });
    }
    return mp;
  }

  private notInEtcd(name: string): LabError {
    return new LabError('MEMBERSHIP', `${name} is in plan.json but not in etcd's member list`, {
      hint: `take it out of the plan with etcd-lab member remove ${name}`,
    });
  }

  private stateOf(name: string): string {
    return this.cluster.members().find((m) => m.name === name)?.state ?? 'unknown';
  }

  private views(voters: ReadonlySet<string>): MemberView[] {
    return this.plan.members.map((m) => ({ name: m.name, voter: voters.has(m.name), up: this.stateOf(m.name) === 'running' }));
  }

  private entryOf(listed: EtcdMember[], mp: MemberPlan): EtcdMember | undefined {
    return listed.find((e) => e.peerURLs.includes(mp.peerURL)) ?? listed.find((e) => e.name !== '' && e.name === mp.name);
  }

  private nameOf(e: EtcdMember): string | undefined {
    return this.plan.members.find((mp) => this.entryOf([e], mp))?.name;
  }

  private voterNames(listed: EtcdMember[]): Set<string> {
    return new Set(this.plan.members.filter((mp) => this.entryOf(listed, mp)?.isLearner !== true).map((m) => m.name));
  }

  private learnerNames(listed: EtcdMember[]): Set<string> {
    return new Set(this.plan.members.filter((mp) => this.entryOf(listed, mp)?.isLearner === true).map((m) => m.name));
  }

  private settleTotals(learners: ReadonlySet<string>): void {
    Object.assign(this.plan, planTotals(this.plan.members, learners));
    this.ctx.persist();
  }

  private change(
    action: MemberChange['action'],
    mp: MemberPlan,
    id: string,
    isLearner: boolean,
    learners: ReadonlySet<string>,
    warnings: string[],
    notes: string[],
    t0: number,
  ): MemberChange {
    return {
      action,
      member: mp.name,
      id,
      isLearner,
      clientURL: mp.clientURL,
      peerURL: mp.peerURL,
      members: this.plan.members.length,
      voters: this.plan.members.length - learners.size,
      quorum: this.plan.quorum,
      faultTolerance: this.plan.faultTolerance,
      warnings,
      notes,
      elapsedMs: Math.round(performance.now() - t0),
    };
  }

  private clientFor(mp: MemberPlan, timeoutMs = CALL_TIMEOUT_MS): EtcdClient {
    return new EtcdClient(mp.clientURL, { timeoutMs, tls: clientTlsFor(this.plan) });
  }

  /** The running members, the leader first, `avoid` left out when another one runs. */
  private async candidates(avoid?: string): Promise<MemberPlan[]> {
    const report = await this.cluster.status();
    const running = this.plan.members.filter((m) => this.stateOf(m.name) === 'running');
    const order = [...running].sort((a, b) => Number(b.name === report.leader) - Number(a.name === report.leader));
    const others = order.filter((m) => m.name !== avoid);
    return others.length > 0 ? others : order;
  }

  /** A client of the leader (or, without one, of a running member), not of `avoid` when another one runs. */
  private async leaderClient(avoid?: string): Promise<EtcdClient> {
    const [first] = await this.candidates(avoid);
    if (!first) {
      throw new LabError('MEMBERSHIP', `no member of the cluster in ${this.cluster.stateDir} is running`, { hint: 'start one: etcd-lab run start <member>' });
    }
    return this.clientFor(first);
  }

  /** etcd's member list, from the first running member that answers. */
  private async memberList(avoid?: string): Promise<EtcdMember[]> {
    let last: unknown;
    for (const m of await this.candidates(avoid)) {
      const c = this.clientFor(m);
      try {
        return await c.memberList();
      } catch (e) {
        last = e;
      } finally {
        c.close();
      }
    }
    throw new LabError('MEMBERSHIP', `no member of the cluster in ${this.cluster.stateDir} answered the member list`, {
      details: last ? [String((last as Error).message)] : [],
      hint: 'see etcd-lab status',
    });
  }

  /**
   * A membership call, tried again while etcd's strict reconfiguration check says "unhealthy cluster": it wants
   * every voting member connected to the leader for 5 s, so right after a start or a change it refuses for a while.
   */
  private async reconfig<T>(call: () => Promise<T>, say: Say): Promise<T> {
    const deadline = Date.now() + RECONFIG_WAIT_MS;
    let told = false;
    for (;;) {
      try {
        return await call();
      } catch (e) {
        if (!isEtcdMessage(e, 'unhealthy cluster') || Date.now() > deadline) throw e;
        if (!told) {
          say('etcd takes a membership change only once every voting member has been connected to the leader for 5 s: waiting');
          told = true;
        }
        await delay(100);
      }
    }
  }

  /** A promotion, tried again while etcd says the learner has not caught up yet. */
  private async untilCaughtUp<T>(call: () => Promise<T>, name: string, say: Say): Promise<T> {
    const deadline = Date.now() + this.ctx.readyTimeoutMs;
    let told = false;
    for (;;) {
      try {
        return await this.reconfig(call, say);
      } catch (e) {
        if (!isEtcdMessage(e, 'in sync with leader') || Date.now() > deadline) throw e;
        if (!told) {
          say(`${name} has not caught up with the leader yet: waiting`);
          told = true;
        }
        await delay(50);
      }
    }
  }

  private membershipError(what: string, e: unknown): LabError {
    if (e instanceof LabError && !isEtcdRequestError(e)) return e;
    if (isEtcdRequestError(e)) {
      const msg = e.etcdMessage ?? e.message;
      const hint = msg.includes('unhealthy cluster')
        ? 'etcd wants every voting member connected to the leader for 5 s before a membership change; check etcd-lab status and try again'
        : msg.includes('not enough started members')
          ? 'etcd refused: the change would leave too few started members for a quorum'
          : 'see etcd-lab status';
      return new LabError('MEMBERSHIP', `${what}: etcd says "${msg}"`, { hint });
    }
    return new LabError('MEMBERSHIP', `${what}: ${(e as Error)?.message ?? String(e)}`);
  }

  private async waitHealthy(mp: MemberPlan): Promise<void> {
    const c = this.clientFor(mp, 500);
    const deadline = Date.now() + this.ctx.readyTimeoutMs;
    try {
      for (;;) {
        const state = this.stateOf(mp.name);
        if (state !== 'running' && state !== 'starting') {
          throw new LabError('NOT_READY', `${mp.name} is ${state} instead of joining the cluster`, { hint: `see ${this.cluster.logFile(mp.name)}` });
        }
        if (await c.health().then((h) => h.healthy, () => false)) return;
        if (Date.now() > deadline) {
          throw new LabError('NOT_READY', `${mp.name} did not report healthy within ${this.ctx.readyTimeoutMs} ms (GET ${mp.clientURL}/health)`, {
            hint: `see ${this.cluster.logFile(mp.name)}`,
          });
        }
        await delay(POLL_MS);
      }
    } finally {
      c.close();
    }
  }

  /** The member's own ID and revision (a serializable answer from its local data). */
  private async ownRevision(mp: MemberPlan): Promise<{ id: string; revision: string }> {
    const c = this.clientFor(mp);
    try {
      const s = await c.status();
      return { id: s.memberId, revision: s.revision };
    } finally {
      c.close();
    }
  }

  private async waitLeader(): Promise<void> {
    const deadline = Date.now() + NEW_LEADER_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.cluster.status()).leader !== null) return;
      await delay(POLL_MS);
    }
  }

  private taken(): Set<number> {
    const proxy = this.ctx.grpcProxy();
    return usedPorts(this.plan, proxy ? [Number(proxy.endpoint.split(':').pop())] : []);
  }

  private dataDirOf(mp: MemberPlan): string {
    return resolve(this.ctx.dir, mp.dataDir);
  }

  /** The next ports of the plan's layout when they are free, else free ones. */
  private async choosePorts(): Promise<MemberPorts> {
    const taken = this.taken();
    const next = nextMemberPorts(this.plan, [...taken]);
    const free = async (p: MemberPorts): Promise<boolean> =>
      (await portFree(p.client, this.plan.host)) && (await portFree(p.peer, this.plan.host)) && (p.proxy === undefined || (await portFree(p.proxy)));
    if (next && (await free(next))) return next;
    const [any] = await allocatePorts(1, this.plan.chaos, this.plan.host, taken);
    return any!;
  }

  private async choosePeerPort(): Promise<number> {
    const taken = this.taken();
    let p = Math.max(...usedPorts(this.plan)) + 1;
    while (taken.has(p)) p++;
    if (p <= 65535 && (await portFree(p, this.plan.host))) return p;
    const [free] = await allocatePorts(1, false, this.plan.host, taken);
    return free!.peer;
  }
}
