// `member promote`: a learner that has caught up with the leader becomes a voting member.
import { performance } from 'node:perf_hooks';
import { EXIT, LabError } from '../errors.js';
import type { EtcdMember } from '../etcd/client.js';
import type { MemberChange } from './membership.js';
import { CALL_TIMEOUT_MS, countWarnings, type MemberOps, type Say } from './member-ops.js';

export async function promoteMember(ops: MemberOps, name: string, say: Say): Promise<MemberChange> {
  const t0 = performance.now();
  ops.requireUp();
  const mp = ops.planned(name);
  const listed = await ops.memberList();
  const entry = ops.entryOf(listed, mp);
  if (!entry) throw ops.notInEtcd(name);
  if (!entry.isLearner) {
    throw new LabError('MEMBERSHIP', `${name} is a voting member already: only a learner can be promoted`, {
      hint: 'a learner is added with etcd-lab member add --learner',
      exitCode: EXIT.usage,
    });
  }
  if (ops.stateOf(name) !== 'running') {
    throw new LabError('MEMBERSHIP', `cannot promote ${name}: it is ${ops.stateOf(name)}, and etcd promotes a learner only once it has caught up with the leader`, {
      hint: `start it first: etcd-lab run start ${name}`,
    });
  }
  const via = await ops.leaderClient();
  let members: EtcdMember[];
  try {
    say(`promoting ${name} through ${via.endpoint}`);
    members = await ops.untilCaughtUp(() => via.memberPromote(entry.id, { timeoutMs: CALL_TIMEOUT_MS }), name, say);
  } catch (e) {
    throw ops.membershipError(`cannot promote ${name}`, e);
  } finally {
    via.close();
  }
  const learners = ops.learnerNames(members);
  ops.settleTotals(learners);
  const warnings = countWarnings(ops.plan.members.length - learners.size, ops.plan.members.length);
  return ops.change('promote', mp, entry.id, false, learners, warnings, [], t0);
}
