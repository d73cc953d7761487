// `member replace`: a node migration (new peer URL, same member ID and data), or with `fresh` the member removed and
// a new one of the same name added on the same ports and caught up.
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { LabError } from '../errors.js';
import type { EtcdClient } from '../etcd/client.js';
import { checkMove, movedMemberPlan } from '../plan/membership.js';
import type { MemberPlan, MemberPorts } from '../plan/types.js';
import { addMember } from './member-add.js';
import type { MemberChange } from './membership.js';
import { CALL_TIMEOUT_MS, POLL_MS, type MemberOps, type Say } from './member-ops.js';
import { removeMember } from './member-remove.js';

export async function replaceMember(ops: MemberOps, name: string, say: Say): Promise<MemberChange> {
  const t0 = performance.now();
  ops.requireUp();
  const mp = ops.planned(name);
  const listed = await ops.memberList();
  const voters = ops.voterNames(listed);
  checkMove(ops.views(voters), name);
  const entry = ops.entryOf(listed, mp);
  if (!entry) throw ops.notInEtcd(name);
  const peerPort = await ops.choosePeerPort();
  const moved = movedMemberPlan(ops.plan, mp, peerPort);
  const single = ops.plan.members.length === 1;
  const wasRunning = ops.stateOf(name) === 'running';
  const before = wasRunning ? await ops.ownRevision(mp) : null;

  const update = async (via: EtcdClient): Promise<void> => {
    say(`moving ${name} from ${mp.peerURL} to ${moved.peerURL} through ${via.endpoint}`);
    try {
      await ops.reconfig(() => via.memberUpdate(entry.id, [moved.peerURL], { timeoutMs: CALL_TIMEOUT_MS }), say);
    } catch (e) {
      throw ops.membershipError(`cannot move ${name}`, e);
    } finally {
      via.close();
    }
  };
  // A lone member commits its own change, so it goes first; otherwise the member stops first and the others
  // commit it (a running member whose advertised URL moved away would be cut off from its peers meanwhile).
  if (single) await update(ops.clientFor(mp));
  say(`stopping ${name}`);
  await ops.cluster.stopMember(name);
  if (!single) await update(await ops.leaderClient(name));
  ops.ctx.network()?.movePeer(name, peerPort);
  ops.cluster.updateMember(moved);
  ops.settleTotals(ops.learnerNames(listed));
  ops.ctx.persist();
  say(`starting ${name} on its new peer URL with its data dir`);
  await ops.cluster.startMember(name);
  await ops.waitHealthy(moved);
  const after = await ops.ownRevision(moved);
  const notes: string[] = [];
  if (after.id !== entry.id) {
    throw new LabError('MEMBERSHIP', `${name} came back with member ID ${after.id}, not ${entry.id}: its data dir was not used`, {
      hint: `see ${ops.cluster.logFile(name)}`,
    });
  }
  if (before) {
    if (BigInt(after.revision) < BigInt(before.revision)) {
      throw new LabError('MEMBERSHIP', `${name} came back at revision ${after.revision}, behind the ${before.revision} it had before the move`, {
        hint: `see ${ops.cluster.logFile(name)}`,
      });
    }
    notes.push(`same member ID ${entry.id}; revision ${before.revision} before the move, ${after.revision} after`);
  } else notes.push(`same member ID ${entry.id}`);
  await ops.ctx.network()?.verify(5000);
  return { ...ops.change('replace', moved, entry.id, entry.isLearner, ops.learnerNames(listed), [], notes, t0), previousPeerURL: mp.peerURL };
}

/** replace --fresh: remove, then add a new member of the same name on the same ports. */
export async function renewMember(ops: MemberOps, name: string, say: Say): Promise<MemberChange> {
  const t0 = performance.now();
  ops.requireUp();
  const mp = ops.planned(name);
  const entry = ops.entryOf(await ops.memberList(), mp);
  if (!entry) throw ops.notInEtcd(name);
  const ports: MemberPorts = { client: mp.clientPort, peer: mp.peerPort, ...(mp.proxyPort !== null ? { proxy: mp.proxyPort } : {}) };
  await removeMember(ops, name, say);
  say(`adding ${name} back as a new member with an empty data dir, on the same ports`);
  const added = await addMember(ops, { name, learner: entry.isLearner, ports }, say);
  const caughtUp = await waitCaughtUp(ops, ops.planned(name), say);
  const notes = [
    `new member ID ${added.id} (was ${entry.id}); its old data dir was deleted`,
    `caught up with the leader at revision ${caughtUp}`,
    ...added.notes,
  ];
  return { ...added, action: 'replace', notes, elapsedMs: Math.round(performance.now() - t0) };
}

/** Waits until the member's own revision reaches the leader's revision of now; returns it. */
async function waitCaughtUp(ops: MemberOps, mp: MemberPlan, say: Say): Promise<string> {
  const via = await ops.leaderClient(mp.name);
  let target: bigint;
  try {
    target = BigInt((await via.status()).revision);
  } finally {
    via.close();
  }
  const deadline = Date.now() + ops.ctx.readyTimeoutMs;
  let told = false;
  for (;;) {
    const own = await ops.ownRevision(mp).catch(() => null);
    if (own && BigInt(own.revision) >= target) return own.revision;
    if (Date.now() > deadline) {
      throw new LabError('NOT_READY', `${mp.name} did not catch up with the leader's revision ${target} within ${ops.ctx.readyTimeoutMs} ms (it is at ${own?.revision ?? 'unknown'})`, {
        hint: `see ${ops.cluster.logFile(mp.name)}`,
      });
    }
    if (!told) {
      say(`waiting for ${mp.name} to catch up with revision ${target}`);
      told = true;
    }
    await delay(POLL_MS);
  }
}
