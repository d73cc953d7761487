// Membership changes of the running cluster, done by its supervisor so that etcd's member list, plan.json and
// state.json stay one truth: add (voter or learner), promote, remove, replace (a node migration, or with `fresh` a
// new member in place of the old one), list.
import type { Cluster } from './cluster.js';
import type { PeerNetworkHook } from './extension.js';
import type { GrpcProxy } from './grpc-proxy.js';
import { addMember } from './member-add.js';
import { MemberOps, type Say } from './member-ops.js';
import { promoteMember } from './member-promote.js';
import { removeMember } from './member-remove.js';
import { renewMember, replaceMember } from './member-replace.js';

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

export class Membership {
  private chain: Promise<unknown> = Promise.resolve();

  private readonly ops: MemberOps;

  constructor(ctx: MembershipContext) {
    this.ops = new MemberOps(ctx);
  }

  /** One membership change at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  add(o: { name?: string; learner?: boolean }, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => addMember(this.ops, o, say));
  }

  promote(name: string, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => promoteMember(this.ops, name, say));
  }

  remove(name: string, say: Say = () => undefined): Promise<MemberChange> {
    return this.serial(() => removeMember(this.ops, name, say));
  }

  /**
   * Without `fresh`: a node migration (new peer URL, same member ID and data). With `fresh`: the member is removed,
   * its data dir deleted, and a new member (new ID) with the same name and ports is added and caught up.
   */
  replace(name: string, say: Say = () => undefined, opts: { fresh?: boolean } = {}): Promise<MemberChange> {
    return this.serial(() => (opts.fresh ? renewMember(this.ops, name, say) : replaceMember(this.ops, name, say)));
  }

  /** etcd's member list joined with the plan. */
  async list(): Promise<ListedMember[]> {
    const listed = await this.ops.memberList();
    const states = new Map(this.ops.cluster.members().map((m) => [m.name, m.state]));
    const out: ListedMember[] = this.ops.plan.members.map((mp) => {
      const e = this.ops.entryOf(listed, mp);
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
      if (this.ops.plan.members.some((mp) => this.ops.entryOf([e], mp))) continue;
      out.push({ name: e.name, id: e.id, isLearner: e.isLearner, state: 'unknown', peerURLs: e.peerURLs, clientURLs: e.clientURLs, inPlan: false, inEtcd: true });
    }
    return out;
  }
}
