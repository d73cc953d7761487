// PURE. Moving a member of a multi-host plan to another host: the same member (name, ID, data) with the new host's
// URLs. In the running cluster that is a `member update` of its peer URL, its data dir carried to the new host, and
// a start there with the new flags (its data makes --initial-cluster* irrelevant; state "existing" says so).
import { LabError } from '../errors.js';
import { withClusterState } from './plan.js';
import { buildHostsPlan, type HostSpec, type HostsPlan, type HostsSpec, type HostMemberPlan } from './hosts.js';
import type { EtcdVersion } from './types.js';

export interface HostMove {
  /** The spec with the member's host replaced (the plan after the move). */
  spec: HostsSpec;
  plan: HostsPlan;
  from: HostMemberPlan;
  to: HostMemberPlan;
  /** For `etcdctl member update <id> --peer-urls=...`. */
  peerURLs: string[];
  /** The member's command on the new host. */
  args: string[];
}

export function planHostMove(spec: HostsSpec, v: EtcdVersion, token: string, name: string, to: HostSpec): HostMove {
  const before = buildHostsPlan(spec, v, token);
  const i = before.members.findIndex((m) => m.name === name);
  if (i < 0) throw new LabError('UNKNOWN_MEMBER', `no member "${name}" in the plan (${before.members.map((m) => m.name).join(', ')})`);
  const from = before.members[i]!;
  const hosts = spec.hosts.map((h, j) => (j === i ? { ...to, name } : h));
  const moved = { ...spec, hosts };
  const plan = buildHostsPlan(moved, v, token);
  const target = plan.members[i]!;
  if (target.peerURL === from.peerURL && target.dataDir === from.dataDir) {
    throw new LabError('USAGE', `${name} is already on ${from.address} with data in ${from.dataDir}`, { hint: 'name another host to move it to' });
  }
  return { spec: moved, plan, from, to: target, peerURLs: [target.peerURL], args: withClusterState(target.args, 'existing') };
}
