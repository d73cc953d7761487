// PURE. The lines of etcd's zap log (3.4 to 3.6) that say how far a starting member has got.
import { flagValue } from '../plan/go-flags.js';

/** As its peer listener starts serving: after its own bootstrap check, if any. */
export const SERVING_PEERS = /"msg":"serving peer traffic"/;

/** When startNode/restartNode begins: after the bootstrap check of its peers, if any. */
const PAST_BOOTSTRAP_CHECK = /"msg":"(re)?starting local member"/;

/**
 * True for log text holding the line an etcd member logs once it is past its bootstrap check (it asks its peers
 * nothing more before it serves them): the one sign `up` (cluster.ts and the supervisor's first stage,
 * early-start.ts) and `start -f` (procfile-stagger.ts) wait for before starting the members after the bootstrap
 * anchor (docs/etcd-facts.md#bootstrap-stall).
 */
export function pastBootstrapCheck(text: string): boolean {
  return PAST_BOOTSTRAP_CHECK.test(text);
}

/**
 * Whether a member started with `args` (its flags, without the program) writes pastBootstrapCheck's line where its
 * output goes: not at `--log-level` warn or above, and not with its log sent elsewhere than stderr (`--log-outputs`).
 */
export function logsItsStart(args: readonly string[]): boolean {
  const argv = ['etcd', ...args];
  const level = flagValue(argv, 'log-level');
  if (level !== null && !['debug', 'info'].includes(level.toLowerCase())) return false;
  const outputs = flagValue(argv, 'log-outputs');
  return outputs === null || outputs.split(',').some((o) => o === 'stderr' || o === 'default');
}
