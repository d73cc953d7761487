// What the membership changes share: the cluster's member list joined with the plan, a client of the leader,
// etcd's retries of a reconfiguration, waits for a member, port choice, and the report of a change.
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { EtcdClient, isEtcdRequestError, type EtcdMember } from '../etcd/client.js';
import { checkMemberCount } from '../plan/count.js';
import { nextMemberPorts, planTotals, usedPorts, type MemberView } from '../plan/membership.js';
import type { MemberPlan, MemberPorts } from '../plan/types.js';
import type { Cluster } from './cluster.js';
import type { MemberChange, MembershipContext } from './membership.js';
import { clientTlsFor } from './pki.js';
import { allocatePorts, portFree } from './ports.js';

/** etcd's strict reconfiguration check wants every voting member connected to the leader for this long (HealthInterval). */
const HEALTH_INTERVAL_MS = 5000;
const RECONFIG_WAIT_MS = HEALTH_INTERVAL_MS + 3000;
export const CALL_TIMEOUT_MS = 2000;
export const POLL_MS = 25;
const NEW_LEADER_WAIT_MS = 3000;

export type Say = (text: string) => void;

/** What the user should know about a cluster of `voters` voting members (even count, more than etcd advises). */
export function countWarnings(voters: number, members: number): string[] {
  return checkMemberCount(voters, true).map((w) => {
    const text = w.replace(/ \(allowed by --allow-even\)$/, '');
    return voters === members ? text : text.replace(/^(\d+) members/, `$1 voting members (of ${members})`);
  });
}

function isEtcdMessage(e: unknown, fragment: string): boolean {
  return isEtcdRequestError(e) && e.kind === 'etcd' && (e.etcdMessage ?? '').includes(fragment);
}

/** The helpers of a membership change; one per Membership. */
export class MemberOps {
  constructor(readonly ctx: MembershipContext) {}

  get cluster(): Cluster {
    return this.ctx.cluster;
  }

  get plan() {
    return this.ctx.cluster.plan;
  }

  /** Points the gRPC proxy at the members now in the cluster; a failure is a warning, the change itself stands. */
  async followWithProxy(warnings: string[]): Promise<void> {
    const proxy = this.ctx.grpcProxy();
    if (!proxy) return;
    try {
      await proxy.setEndpoints(this.plan.members.map((m) => m.clientURL));
    } catch (e) {
      warnings.push(`the gRPC proxy did not come back with the new member list: ${(e as Error).message} (see ${proxy.logFile})`);
    }
  }

  requireUp(): void {
    if (!this.cluster.isUp) {
      throw new LabError('NOT_RUNNING', `the cluster in ${this.cluster.stateDir} is not up (it is starting or stopping)`, {
        hint: 'wait until `etcd-lab up` reports it ready',
      });
    }
  }

  planned(name: string): MemberPlan {
    const mp = this.plan.members.find((m) => m.name === name);
    if (!mp) {
      throw new LabError('UNKNOWN_MEMBER', `there is no member "${name}" in ${this.cluster.stateDir}`, {
        hint: `members: ${this.plan.members.map((m) => m.name).join(', ')}`,
      });
    }
    return mp;
  }

  notInEtcd(name: string): LabError {
    return new LabError('MEMBERSHIP', `${name} is in plan.json but not in etcd's member list`, {
      hint: `take it out of the plan with etcd-lab member remove ${name}`,
    });
  }

  stateOf(name: string): string {
    return this.cluster.members().find((m) => m.name === name)?.state ?? 'unknown';
  }

  views(voters: ReadonlySet<string>): MemberView[] {
    return this.plan.members.map((m) => ({ name: m.name, voter: voters.has(m.name), up: this.stateOf(m.name) === 'running' }));
  }

  entryOf(listed: EtcdMember[], mp: MemberPlan): EtcdMember | undefined {
    return listed.find((e) => e.peerURLs.includes(mp.peerURL)) ?? listed.find((e) => e.name !== '' && e.name === mp.name);
  }

  nameOf(e: EtcdMember): string | undefined {
    return this.plan.members.find((mp) => this.entryOf([e], mp))?.name;
  }

  voterNames(listed: EtcdMember[]): Set<string> {
    return new Set(this.plan.members.filter((mp) => this.entryOf(listed, mp)?.isLearner !== true).map((m) => m.name));
  }

  learnerNames(listed: EtcdMember[]): Set<string> {
    return new Set(this.plan.members.filter((mp) => this.entryOf(listed, mp)?.isLearner === true).map((m) => m.name));
  }

  settleTotals(learners: ReadonlySet<string>): void {
    Object.assign(this.plan, planTotals(this.plan.members, learners));
    this.ctx.persist();
  }

  change(
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

  clientFor(mp: MemberPlan, timeoutMs = CALL_TIMEOUT_MS): EtcdClient {
    return new EtcdClient(mp.clientURL, { timeoutMs, tls: clientTlsFor(this.plan) });
  }

  /** The running members, the leader first, `avoid` left out when another one runs. */
  async candidates(avoid?: string): Promise<MemberPlan[]> {
    const report = await this.cluster.status();
    const running = this.plan.members.filter((m) => this.stateOf(m.name) === 'running');
    const order = [...running].sort((a, b) => Number(b.name === report.leader) - Number(a.name === report.leader));
    const others = order.filter((m) => m.name !== avoid);
    return others.length > 0 ? others : order;
  }

  /** A client of the leader (or, without one, of a running member), not of `avoid` when another one runs. */
  async leaderClient(avoid?: string): Promise<EtcdClient> {
    const [first] = await this.candidates(avoid);
    if (!first) {
      throw new LabError('MEMBERSHIP', `no member of the cluster in ${this.cluster.stateDir} is running`, { hint: 'start one: etcd-lab run start <member>' });
    }
    return this.clientFor(first);
  }

  /** etcd's member list, from the first running member that answers. */
  async memberList(avoid?: string): Promise<EtcdMember[]> {
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
  async reconfig<T>(call: () => Promise<T>, say: Say): Promise<T> {
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
  async untilCaughtUp<T>(call: () => Promise<T>, name: string, say: Say): Promise<T> {
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

  membershipError(what: string, e: unknown): LabError {
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

  async waitHealthy(mp: MemberPlan): Promise<void> {
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
  async ownRevision(mp: MemberPlan): Promise<{ id: string; revision: string }> {
    const c = this.clientFor(mp);
    try {
      const s = await c.status();
      return { id: s.memberId, revision: s.revision };
    } finally {
      c.close();
    }
  }

  async waitLeader(): Promise<void> {
    const deadline = Date.now() + NEW_LEADER_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.cluster.status()).leader !== null) return;
      await delay(POLL_MS);
    }
  }

  taken(): Set<number> {
    const proxy = this.ctx.grpcProxy();
    return usedPorts(this.plan, proxy ? [Number(proxy.endpoint.split(':').pop())] : []);
  }

  dataDirOf(mp: MemberPlan): string {
    return resolve(this.ctx.dir, mp.dataDir);
  }

  /** The next ports of the plan's layout when they are free, else free ones. */
  async choosePorts(): Promise<MemberPorts> {
    const taken = this.taken();
    const next = nextMemberPorts(this.plan, [...taken]);
    const free = async (p: MemberPorts): Promise<boolean> =>
      (await portFree(p.client, this.plan.host)) && (await portFree(p.peer, this.plan.host)) && (p.proxy === undefined || (await portFree(p.proxy)));
    if (next && (await free(next))) return next;
    const [any] = await allocatePorts(1, this.plan.chaos, this.plan.host, taken);
    return any!;
  }

  async choosePeerPort(): Promise<number> {
    const taken = this.taken();
    let p = Math.max(...usedPorts(this.plan)) + 1;
    while (taken.has(p)) p++;
    if (p <= 65535 && (await portFree(p, this.plan.host))) return p;
    const [free] = await allocatePorts(1, false, this.plan.host, taken);
    return free!.peer;
  }
}
