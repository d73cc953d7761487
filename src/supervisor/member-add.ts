// `member add`: a new voting member or learner joins the running cluster, and is taken out again when it does not
// start.
import { lookup } from 'node:dns/promises';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LabError } from '../errors.js';
import { isEtcdRequestError, type EtcdMember } from '../etcd/client.js';
import { checkMemberCount } from '../plan/count.js';
import { joiningMemberPlan, nextMemberName } from '../plan/membership.js';
import { CHAOS_PEER_HOST, memberNames } from '../plan/plan.js';
import { shellQuote } from '../plan/quote.js';
import type { MemberPlan, MemberPorts } from '../plan/types.js';
import type { MemberChange } from './membership.js';
import { CALL_TIMEOUT_MS, countWarnings, type MemberOps, type Say } from './member-ops.js';
import { ensurePki } from './pki.js';

export async function addMember(ops: MemberOps, o: { name?: string; learner?: boolean; ports?: MemberPorts }, say: Say): Promise<MemberChange> {
  const t0 = performance.now();
  ops.requireUp();
  const learner = o.learner === true;
  const names = ops.plan.members.map((m) => m.name);
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
  const listed = await ops.memberList();
  const voters = ops.voterNames(listed);
  checkMemberCount(ops.plan.members.length + 1, true);
  const down = ops.plan.members.filter((m) => voters.has(m.name) && ops.stateOf(m.name) !== 'running').map((m) => m.name);
  if (down.length > 0) {
    throw new LabError(
      'MEMBERSHIP',
      `cannot add ${name}: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not running, and etcd adds a member only while every voting member is connected to the leader`,
      { hint: `start ${down.length === 1 ? 'it' : 'them'} first (etcd-lab run start ${down[0]}), or remove ${down.length === 1 ? 'it' : 'them'} (etcd-lab member remove ${down[0]})` },
    );
  }
  if (ops.plan.chaos) await requireChaosPeerHostResolves(name);
  const warnings = countWarnings(voters.size + (learner ? 0 : 1), ops.plan.members.length + 1);
  const ports = o.ports ?? (await ops.choosePorts());
  const draft = joiningMemberPlan(ops.plan, { name, ports, cluster: ops.plan.members });
  const dataDir = ops.dataDirOf(draft);
  if (existsSync(join(dataDir, 'member'))) {
    throw new LabError('DIR_MISMATCH', `${dataDir} holds etcd data, but ${name} is not a member of the cluster`, {
      hint: `remove that folder (rm -r ${shellQuote(dataDir)}), or choose another name`,
    });
  }
  const network = ops.ctx.network();
  if (network) await network.addMember(draft);
  let added: { member: EtcdMember; members: EtcdMember[] };
  try {
    const via = await ops.leaderClient();
    try {
      say(`adding ${name} (${draft.peerURL}) as a ${learner ? 'learner' : 'voting member'} through ${via.endpoint}`);
      added = await ops.reconfig(() => via.memberAdd([draft.peerURL], learner, { timeoutMs: CALL_TIMEOUT_MS }), say);
    } finally {
      via.close();
    }
  } catch (e) {
    await network?.removeMember(name);
    throw ops.membershipError(`cannot add ${name}`, e);
  }

  const id = added.member.id;
  const cluster = added.members.flatMap((m) =>
    m.peerURLs.map((peerURL) => ({ name: m.id === id ? name : ops.nameOf(m) ?? (m.name || `unstarted-${m.id}`), peerURL })),
  );
  const mp = joiningMemberPlan(ops.plan, { name, ports, cluster });
  try {
    ops.cluster.addMember(mp);
    if (ops.plan.tls) await ensurePki(ops.plan);
    ops.ctx.persist();
    say(`starting ${name} with --initial-cluster-state existing`);
    await ops.cluster.startMember(name);
    await ops.waitHealthy(mp);
    await network?.verify(5000);
  } catch (e) {
    throw await undoAdd(ops, mp, id, e);
  }
  const learners = new Set([...ops.learnerNames(added.members), ...(learner ? [name] : [])]);
  ops.settleTotals(learners);
  const notes = learner ? [`${name} is a learner: it receives the log but does not vote; promote it with etcd-lab member promote ${name}`] : [];
  await ops.followWithProxy(warnings);
  return ops.change('add', mp, id, learner, learners, warnings, notes, t0);
}

/** After a failed start of a new member: take it out of etcd's list again, or say why it stays. */
async function undoAdd(ops: MemberOps, mp: MemberPlan, id: string, cause: unknown): Promise<LabError> {
  const name = mp.name;
  const base = cause instanceof LabError && !isEtcdRequestError(cause) ? cause : ops.membershipError(`${name} did not start`, cause);
  await ops.cluster.stopMember(name, 0).catch(() => undefined);
  let removed = false;
  const via = await ops.leaderClient().catch(() => null);
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
    ops.ctx.persist();
    return new LabError(base.code, `${base.message}; ${name} stays in the cluster (etcd counts it) but is down`, {
      details: base.details,
      hint: `see ${ops.cluster.logFile(name)}; try again with etcd-lab run start ${name}, or take it out with etcd-lab member remove ${name}`,
    });
  }
  await ops.cluster.removeMember(name, undefined, 0).catch(() => undefined);
  await ops.ctx.network()?.removeMember(name);
  rmSync(ops.dataDirOf(mp), { recursive: true, force: true });
  ops.ctx.persist();
  return new LabError(base.code, `${base.message}; ${name} was taken out of the cluster again`, {
    details: base.details,
    hint: base.hint ?? `see ${join(ops.ctx.dir, 'logs', `${name}.log`)}`,
  });
}

/**
 * A joining member compares its --initial-cluster with the cluster's advertised peer URLs by resolving their
 * hosts (etcd skips only `localhost` and IP literals), and chaos mode advertises `localhost.`: without a resolver
 * that answers for it (systemd-resolved does; /etc/hosts lists `localhost` without the dot) the member waits 30 s
 * and gives up.
 */
async function requireChaosPeerHostResolves(name: string): Promise<void> {
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
