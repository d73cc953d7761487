// A status once the cluster has settled: one reading right after a start or a fault may fall in an election or miss
// a member's slow answer (500 ms each), which a loaded machine makes likelier (the fast profile's 100 ms election
// timeout). Tests that read the leader, or every member's answer, from a status take it from here.
import { LabError } from '../../src/errors.js';
import type { StatusReport } from '../../src/supervisor/status.js';
import { until, waitFor } from './until.js';

/** A leader named, and an answer from every running member. */
function isSettled(s: StatusReport): boolean {
  return s.leader !== null && s.members.every((m) => m.state !== 'running' || m.id !== null);
}

/** Polls `get` until its status is settled and `ok` holds too (bounded, 20 s). */
export function settled(get: () => Promise<StatusReport>, ok: (s: StatusReport) => boolean = () => true): Promise<StatusReport> {
  return waitFor(get, (s) => isSettled(s) && ok(s), 'a settled cluster (a leader, every running member answering)', 20_000, 100);
}

/**
 * Runs a fault aimed at a role ("leader", "follower"), again while etcd-lab answers that the cluster has no member in
 * that role right now (BAD_TARGET: an election is on); any other error is thrown at once. Bounded, 20 s.
 */
export async function aimed<T>(fault: () => Promise<T>): Promise<T> {
  let failed: { error: unknown } | undefined;
  const done = await until(
    'a member in the role the fault aims at',
    async () => {
      try {
        return { value: await fault() };
      } catch (e) {
        if (e instanceof LabError && e.code === 'BAD_TARGET') return undefined;
        failed = { error: e };
        return { value: undefined };
      }
    },
    20_000,
    100,
  );
  if (failed) throw failed.error;
  return done.value as T;
}
