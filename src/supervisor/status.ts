// PURE. The status report of a running cluster (or Procfile run) and how one is assembled from the members' answers;
// its table is drawn by cli/render-status.ts.
import type { EtcdStatus } from '../etcd/client.js';
import type { GrpcProxyStatus } from './grpc-proxy.js';
import { pickLeader } from './leader-claim.js';
import type { ProcessState } from './process.js';

export type MemberState = ProcessState;

export interface MemberStatus {
  name: string;
  state: MemberState;
  pid: number | null;
  /** Hex member ID; null when the member did not answer (down, paused, no leader). */
  id: string | null;
  clientURL: string;
  peerURL: string;
  isLearner: boolean;
  isLeader: boolean;
  raftTerm: string | null;
  raftIndex: string | null;
  revision: string | null;
  dbSize: number | null;
  /** The server version the member reports (POST /v3/maintenance/status); null when it did not answer. */
  version: string | null;
}

export interface StatusReport {
  dir: string;
  /** Name of the leader, null when no answering member knows one. */
  leader: string | null;
  /**
   * The newest term among the answers naming that leader, null with no leader. etcd reports the term of the last
   * entry a member applied, so a leader just elected shows its predecessor's term until its first entry commits.
   */
  leaderTerm: string | null;
  /** The version the cluster runs at (etcd's `GET /version` "etcdcluster"): null when unknown or not decided yet. */
  clusterVersion: string | null;
  members: MemberStatus[];
  /** Present when the cluster runs with `up --grpc-proxy`. */
  grpcProxy?: GrpcProxyStatus;
}

/** What a runner knows of one supervised process, besides its status answer. */
export interface StatusSource {
  name: string;
  state: MemberState;
  pid: number | null;
  clientURL: string;
  peerURL: string;
  /** Hex member ID learned from an earlier answer (finds a leader that did not answer this time). */
  knownId?: string | null;
  /** A learner by the member list, whatever its own answer says. */
  listedLearner?: boolean;
}

/**
 * PURE. The status report of `sources` from their status answers (same order; null: no answer): the leader is the
 * one the answers point at (leader-claim.ts).
 */
export function assembleStatus(
  dir: string,
  sources: readonly StatusSource[],
  answers: readonly (EtcdStatus | null)[],
  clusterVersion: string | null,
): StatusReport {
  const claim = pickLeader(answers);
  const leaderId = claim?.id ?? null;
  const members: MemberStatus[] = sources.map((src, i) => {
    const s = answers[i] ?? null;
    return {
      name: src.name,
      state: src.state,
      pid: src.pid,
      id: s?.memberId ?? null,
      clientURL: src.clientURL,
      peerURL: src.peerURL,
      isLearner: s?.isLearner === true || src.listedLearner === true,
      isLeader: s !== null && leaderId !== null && s.memberId === leaderId,
      raftTerm: s?.raftTerm ?? null,
      raftIndex: s?.raftIndex ?? null,
      revision: s?.revision ?? null,
      dbSize: s?.dbSize ?? null,
      version: s?.version || null,
    };
  });
  const at = leaderId === null ? -1 : sources.findIndex((src, i) => (answers[i]?.memberId ?? src.knownId ?? null) === leaderId);
  const leader = at < 0 ? null : sources[at]!.name;
  return { dir, leader, leaderTerm: claim === null ? null : String(claim.term), clusterVersion, members };
}
