// PURE. The rules of a rolling upgrade: what etcd supports (README "Rolling upgrade"), the order of the members,
// and the arguments a member needs on its new version.
import { LabError } from '../errors.js';
import { dialectArgs } from './dialect.js';
import type { EtcdVersion } from './types.js';

/** What happens to one member: replaced by the new binary, or left as it is (it runs that version already). */
export type UpgradeStep = 'upgrade' | 'same';

/** The cluster version a set of member versions settles on: the lowest MAJOR.MINOR, patch 0 (etcd's rule). */
export function expectedClusterVersion(versions: EtcdVersion[]): string {
  const low = versions.reduce((a, b) => (b.major < a.major || (b.major === a.major && b.minor < a.minor) ? b : a));
  return `${low.major}.${low.minor}.0`;
}

function minor(v: EtcdVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Orders by major, minor, patch only (a pre-release tag is ignored: it is no step of its own for etcd). */
function order(a: EtcdVersion, b: EtcdVersion): number {
  return Math.sign(a.major - b.major || a.minor - b.minor || a.patch - b.patch);
}

/**
 * Checks that `member`, running `from`, may be replaced by `to`. Throws BAD_VERSION for what etcd does not support:
 * a downgrade, a skipped minor version, another major version.
 */
export function checkUpgradeStep(member: string, from: EtcdVersion, to: EtcdVersion): UpgradeStep {
  const d = order(to, from);
  if (d === 0) return 'same';
  if (to.major !== from.major) {
    throw new LabError('BAD_VERSION', `cannot replace ${member} (etcd ${from.text}) by etcd ${to.text}: etcd upgrades within major version ${from.major} only`, {
      hint: 'point --etcd at an etcd of the same major version',
    });
  }
  if (d < 0) {
    const sameMinor = to.minor === from.minor;
    throw new LabError('BAD_VERSION', `cannot downgrade ${member} from etcd ${from.text} to ${to.text}: upgrade only moves forward`, {
      hint: sameMinor
        ? `etcd-lab does not put an older patch release on a member's data; to run ${to.text}, start a new cluster with it (etcd-lab up --fresh --etcd ...)`
        : from.major === 3 && from.minor >= 6
          ? `etcd ${minor(from)} downgrades only through its own procedure: \`etcdctl downgrade validate ${minor(to)}\`, \`etcdctl downgrade enable ${minor(to)}\`, then replacing each binary (etcd.io/docs/v3.6/downgrades/downgrade_3_6)`
          : `etcd ${minor(from)} has no supported downgrade (etcd's downgrade procedure starts with 3.6)`,
    });
  }
  if (to.minor > from.minor + 1) {
    const next = `${from.major}.${from.minor + 1}`;
    throw new LabError('BAD_VERSION', `cannot upgrade ${member} from etcd ${from.text} to ${to.text}: that skips ${next}`, {
      hint: `etcd supports upgrading one minor version at a time: upgrade every member to ${next} first, then to ${minor(to)}`,
    });
  }
  return 'upgrade';
}

/**
 * Checks the members the upgrade leaves alone: `to` may be at most one minor version newer than each of them (a
 * member cannot join a cluster whose version is two minor versions older than its own).
 */
export function checkClusterSpan(others: { name: string; version: EtcdVersion }[], to: EtcdVersion): void {
  const behind = others.filter((o) => o.version.major === to.major && to.minor > o.version.minor + 1);
  if (behind.length === 0) return;
  const lowest = behind.reduce((a, b) => (b.version.minor < a.version.minor ? b : a));
  const next = `${lowest.version.major}.${lowest.version.minor + 1}`;
  throw new LabError(
    'BAD_VERSION',
    `cannot bring etcd ${to.text} into a cluster where ${behind.map((b) => `${b.name} runs ${b.version.text}`).join(', ')}: that skips ${next}`,
    { hint: `etcd supports upgrading one minor version at a time: upgrade every member to ${next} first (etcd-lab upgrade all --etcd <etcd ${next}>)` },
  );
}

/** Warnings that do not stop the upgrade (etcd's upgrade checklist). */
export function upgradeWarnings(from: EtcdVersion, to: EtcdVersion): string[] {
  // etcd.io/docs/v3.6/upgrades/upgrade_3_6: "make sure that all of your 3.5 members are updated to 3.5.26 or later".
  if (from.major === 3 && from.minor === 5 && to.minor === 6 && from.patch < 26) {
    return [`etcd's 3.5 -> 3.6 checklist asks for every member on 3.5.26 or later first (this one runs ${from.text}): earlier 3.5 releases have known upgrade blockers`];
  }
  return [];
}

/**
 * The member to replace next among `remaining` (in the given order): a follower first, the leader last, so that the
 * cluster changes leader once, at the end. `leader` is the current leader's name, null when unknown.
 */
export function nextToUpgrade(remaining: readonly string[], leader: string | null): string | undefined {
  return remaining.find((n) => n !== leader) ?? remaining[0];
}

/** The whole order for a leader that does not change meanwhile: followers in their order, then the leader. */
export function upgradeOrder(names: readonly string[], leader: string | null): string[] {
  const rest = [...names];
  const out: string[] = [];
  while (rest.length > 0) {
    const next = nextToUpgrade(rest, leader)!;
    out.push(next);
    rest.splice(rest.indexOf(next), 1);
  }
  return out;
}

/**
 * A member's arguments for its new version: the flags its old version needed (dialect.ts) are taken out, those of
 * the new one put in their place; every other argument stays as it was.
 */
export function upgradedArgs(args: readonly string[], from: EtcdVersion, to: EtcdVersion): string[] {
  const out = [...args];
  let at = -1;
  for (const flag of dialectArgs(from)) {
    const i = out.indexOf(flag);
    if (i < 0) continue;
    out.splice(i, 1);
    if (at < 0 || i < at) at = i;
  }
  const add = dialectArgs(to).filter((f) => !out.includes(f));
  if (at < 0) out.push(...add);
  else out.splice(at, 0, ...add);
  return out;
}
