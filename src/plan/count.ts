import { LabError } from '../errors.js';

/** etcd advises at most 7 members; past this etcd-lab refuses outright. */
export const MAX_MEMBERS = 15;
export const ADVISED_MAX = 7;

export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

export function faultToleranceOf(n: number): number {
  return n - quorumOf(n);
}

function failures(n: number): string {
  const f = faultToleranceOf(n);
  return `${f} failure${f === 1 ? '' : 's'}`;
}

/** Checks a member count; returns warnings the user should see. `where` prefixes messages (e.g. a YAML position). */
export function checkMemberCount(n: number, allowEven: boolean, where = ''): string[] {
  const at = where ? `${where}: ` : '';
  if (!Number.isInteger(n)) {
    throw new LabError('MEMBER_COUNT', `${at}the member count must be a whole number, got ${String(n)}`, {
      hint: 'use -n 3 or -n 5',
    });
  }
  if (n < 1) {
    throw new LabError('MEMBER_COUNT', `${at}a cluster needs at least 1 member, got ${n}`, { hint: 'use -n 3 or -n 5' });
  }
  if (n > MAX_MEMBERS) {
    throw new LabError(
      'MEMBER_COUNT',
      `${at}${n} members is more than etcd-lab runs (at most ${MAX_MEMBERS}): every write waits for a majority of ${quorumOf(n)} ` +
        `and all members share this machine's CPU, so elections and writes slow down without adding anything to learn`,
      { hint: `etcd advises at most ${ADVISED_MAX} members; use 3, 5 or 7` },
    );
  }
  const warnings: string[] = [];
  if (n % 2 === 0) {
    const lower = n - 1;
    if (!allowEven) {
      throw new LabError(
        'EVEN_MEMBERS',
        `${at}${n} members tolerate ${failures(n)}, the same as ${lower}, and a ${n / 2}|${n / 2} partition leaves no majority; ` +
          `use ${lower} or ${n + 1}, or pass --allow-even to demonstrate exactly that`,
      );
    }
    warnings.push(
      `${n} members tolerate ${failures(n)}, the same as ${lower}; a ${n / 2}|${n / 2} partition leaves no majority (allowed by --allow-even)`,
    );
  }
  if (n > ADVISED_MAX) {
    warnings.push(`${n} members: etcd advises at most ${ADVISED_MAX}; each write waits for ${quorumOf(n)} acknowledgements`);
  }
  if (n === 1) warnings.push('1 member tolerates no failure: there is no election to watch');
  return warnings;
}

/** Parses a member count typed by the user ("5"), refusing anything that is not a plain whole number. */
export function parseMemberCount(text: string, where = '-n/--nodes'): number {
  if (!/^\s*-?\d+\s*$/.test(text)) {
    throw new LabError('MEMBER_COUNT', `${where} must be a number of members, got "${text}"`, { hint: 'use -n 3 or -n 5' });
  }
  return Number(text);
}
