// What fault injection can do to a running cluster. Implemented in the supervisor process (LocalLab) and over the
// control socket (RemoteLab), so scenarios, demos and the CLI run the same way against either.
import type { EtcdClient } from '../etcd/client.js';
import type { StatusReport } from '../supervisor/status.js';
import type { LinkStats } from './network.js';

/** A member name, or one resolved against live status: leader | follower | random | quorum | all. */
export type Target = string;

export type DelayTarget = { member: string } | { from: string; to: string };

export interface FaultResult {
  /** e.g. "kill", "partition". */
  action: string;
  /** Members the fault acted on (resolved targets). */
  members: string[];
  /** What a person should know, e.g. "SIGTERM on the leader is a graceful leadership transfer, not an election". */
  note?: string;
  /** The link table afterwards, described (`m1 -x-> m2`), for network faults. */
  links?: string[];
  /** ISO time the fault took effect. */
  at: string;
}

export interface Lab {
  /** Member names in plan order. */
  readonly memberNames: readonly string[];
  /** The client URL of a member. */
  clientURL(member: string): string;
  /** A client for a member, with the cluster's client certificate when it runs with TLS. The caller closes it. */
  etcdClient(member: string, timeoutMs: number): EtcdClient;
  status(): Promise<StatusReport>;
  kill(target: Target, opts?: { signal?: 'SIGKILL' | 'SIGTERM'; seed?: number }): Promise<FaultResult>;
  pause(target: Target, opts?: { seed?: number }): Promise<FaultResult>;
  resume(target: Target, opts?: { seed?: number }): Promise<FaultResult>;
  /** Starts members that are down (killed, stopped, exited) and restarts running ones. */
  restart(target: Target, opts?: { seed?: number }): Promise<FaultResult>;
  partition(groups: string[][]): Promise<FaultResult>;
  isolate(target: Target, opts?: { seed?: number }): Promise<FaultResult>;
  cut(from: string, to: string): Promise<FaultResult>;
  delay(target: DelayTarget, delayMs: number, jitterMs: number): Promise<FaultResult>;
  /** Drops `pct` percent (0-100) of the messages of one directed link or of a member's links; `seed` makes it repeatable. */
  drop(target: DelayTarget, pct: number, opts?: { seed?: number }): Promise<FaultResult>;
  /** Jepsen's majorities ring over `order` (every member once); without it, plan order, or a seeded shuffle with `seed`. */
  ring(order?: string[], opts?: { seed?: number }): Promise<FaultResult>;
  /**
   * Replaces a member by a new one: removed from the cluster, its data dir deleted, added back (new member ID, same
   * name and ports) and caught up with the leader. The same as `etcd-lab member replace --fresh`.
   */
  replace(target: Target, opts?: { seed?: number }): Promise<FaultResult>;
  heal(): Promise<FaultResult>;
  /** Every directed link's rule and its proxy's counters (empty without chaos mode). */
  linkStats(): Promise<LinkStats[]>;
  /** The current link table, described; empty when every link is open. */
  links(): Promise<string[]>;
  /** Subscribes to member log lines (raw zap JSON); returns an unsubscribe function. */
  onLine(fn: (member: string, text: string) => void): () => void;
}
