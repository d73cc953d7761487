// What the members of a running cluster answer about themselves: status, member list, cluster version. Each member
// is asked in parallel with a short timeout; one that does not answer counts as null.
import type { EtcdClient, EtcdMember, EtcdStatus } from '../etcd/client.js';
import { pickLeader } from './leader-claim.js';
import type { ProbedMember } from './readiness.js';
import { assembleStatus, type StatusReport } from './status.js';

export const STATUS_TIMEOUT_MS = 500;

type Client<M> = (m: M) => EtcdClient;

/** Each member's status answer (null when it is down or does not answer in time); learns each member's ID. */
export function queryStatus<M extends ProbedMember>(list: readonly M[], client: Client<M>, timeoutMs: number): Promise<(EtcdStatus | null)[]> {
  return Promise.all(
    list.map(async (m) => {
      if (m.proc.state !== 'running' && m.proc.state !== 'starting') return null;
      try {
        const s = await client(m).status({ timeoutMs });
        m.id = s.memberId;
        return s;
      } catch {
        return null;
      }
    }),
  );
}

/** The member list as the first running member tells it; null when it does not answer in time. */
async function quickMemberList<M extends ProbedMember>(list: readonly M[], client: Client<M>, timeoutMs: number): Promise<EtcdMember[] | null> {
  const m = list.find((x) => x.proc.state === 'running');
  if (!m) return null;
  try {
    return await client(m).memberList({ timeoutMs });
  } catch {
    return null;
  }
}

/**
 * The cluster version (`GET /version` of the leader, else of the first member that answered status): null when none
 * answers or the cluster has not decided one yet.
 */
export async function clusterVersion<M extends ProbedMember>(list: readonly M[], client: Client<M>, answers?: (EtcdStatus | null)[]): Promise<string | null> {
  const got = answers ?? (await queryStatus(list, client, STATUS_TIMEOUT_MS));
  const leaderId = pickLeader(got)?.id ?? null;
  const atLeader = got.findIndex((s) => s !== null && s.memberId === leaderId);
  const i = atLeader >= 0 ? atLeader : got.findIndex((s) => s !== null);
  const m = i >= 0 ? list[i] : undefined;
  if (!m) return null;
  try {
    const v = await client(m).version({ timeoutMs: STATUS_TIMEOUT_MS });
    return v.etcdcluster === '' || v.etcdcluster === 'not_decided' ? null : v.etcdcluster;
  } catch {
    return null;
  }
}

/** Every member's view, read in parallel with a short timeout; a member that does not answer has nulls. */
export async function clusterStatus<M extends ProbedMember>(stateDir: string, list: readonly M[], client: Client<M>): Promise<StatusReport> {
  const [answers, listed] = await Promise.all([queryStatus(list, client, STATUS_TIMEOUT_MS), quickMemberList(list, client, STATUS_TIMEOUT_MS)]);
  const version = await clusterVersion(list, client, answers);
  const learner = (m: M): boolean =>
    listed?.some((x) => x.isLearner && (x.id === m.id || x.name === m.plan.name || x.peerURLs.includes(m.plan.peerURL))) ?? false;
  const sources = list.map((m) => ({
    name: m.plan.name,
    state: m.proc.state,
    pid: m.proc.pid,
    clientURL: m.plan.clientURL,
    peerURL: m.plan.peerURL,
    knownId: m.id,
    listedLearner: learner(m),
  }));
  return assembleStatus(stateDir, sources, answers, version);
}
