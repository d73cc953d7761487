// `member remove`: the member leaves etcd's member list and the plan, is stopped, and its data dir is deleted.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { checkRemoval } from '../plan/membership.js';
import type { MemberChange } from './membership.js';
import { CALL_TIMEOUT_MS, countWarnings, type MemberOps, type Say } from './member-ops.js';

export async function removeMember(ops: MemberOps, name: string, say: Say): Promise<MemberChange> {
  const t0 = performance.now();
  ops.requireUp();
  const mp = ops.planned(name);
  const listed = await ops.memberList(name);
  const voters = ops.voterNames(listed);
  checkRemoval(ops.views(voters), name);
  const entry = ops.entryOf(listed, mp);
  const id = entry?.id ?? '';
  const via = await ops.leaderClient(name);
  try {
    await ops.cluster.removeMember(name, async () => {
      if (!entry) return;
      say(`removing ${name} (${id}) through ${via.endpoint}`);
      try {
        await ops.reconfig(() => via.memberRemove(id, { timeoutMs: CALL_TIMEOUT_MS }), say);
      } catch (e) {
        throw ops.membershipError(`cannot remove ${name}`, e);
      }
    });
  } finally {
    via.close();
  }
  await ops.ctx.network()?.removeMember(name);
  rmSync(ops.dataDirOf(mp), { recursive: true, force: true });
  const learners = ops.learnerNames(listed.filter((m) => m.id !== id));
  ops.settleTotals(learners);
  await ops.waitLeader();
  const warnings = countWarnings(ops.plan.members.length - learners.size, ops.plan.members.length);
  await ops.followWithProxy(warnings);
  const notes = [`its log stays in ${ops.cluster.stateDir}/logs/${name}.log; its data dir was deleted`];
  if (!entry) notes.unshift(`${name} was not in etcd's member list: it was only taken out of the plan`);
  return ops.change('remove', mp, id, entry?.isLearner ?? false, learners, warnings, notes, t0);
}
