// PURE. A member of a plan (one machine or hosts) by its name.
import { LabError } from '../errors.js';

/** The member called `name` in `plan.members`; UNKNOWN_MEMBER when there is none. */
export function memberOf<M extends { name: string }>(plan: { members: readonly M[] }, name: string): M {
  const m = plan.members.find((x) => x.name === name);
  if (!m) throw new LabError('UNKNOWN_MEMBER', `no member "${name}"`, { hint: `members: ${plan.members.map((x) => x.name).join(', ')}` });
  return m;
}
