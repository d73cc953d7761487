// `plan` and `procfile` on a state dir that holds a cluster etcd-lab made: they show or export that cluster (its data
// is there, and `up` resumes it), not a new plan with another token and other ports that its data would not fit.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError } from '../errors.js';
import type { Settings } from '../plan/settings.js';
import type { ClusterPlan } from '../plan/types.js';
import { readJson, statePaths } from '../supervisor/state-dir.js';

/** Settings that shape a cluster: given with a stored one, they would describe another. */
const SHAPING: readonly (keyof Settings)[] = [
  'nodes', 'allowEven', 'namePrefix', 'names', 'host', 'ports', 'profile', 'heartbeatInterval', 'electionTimeout', 'quotaBackendBytes',
  'snapshotCount', 'extraArgs', 'memberExtraArgs', 'clusterToken', 'etcdVersion', 'chaos', 'tls',
];

/**
 * The plan stored in the settings' state dir, or null when it holds none etcd-lab wrote. DIR_MISMATCH when settings
 * that shape a cluster were given as well: `what` (the command) says what it would have done.
 */
export function storedPlanFor(settings: { spec: { dir: string }; given: ReadonlySet<string> }, what: string): ClusterPlan | null {
  const dir = resolve(settings.spec.dir);
  const file = statePaths(dir).plan;
  if (!existsSync(file)) return null;
  let stored: ClusterPlan;
  try {
    stored = readJson<ClusterPlan>(file);
  } catch {
    return null;
  }
  if (stored?.version !== 1 || !Array.isArray(stored.members)) return null;
  // As a flag without its dashes, or as etcd-lab.yaml names it: name-prefix, extra-args, ...
  const shaping = SHAPING.filter((k) => settings.given.has(k)).map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  if (shaping.length > 0) {
    throw new LabError('DIR_MISMATCH', `${dir} holds the cluster etcd-lab made there (${stored.members.map((m) => m.name).join(', ')}): ${what} uses that one, and ${shaping.join(', ')} would describe another`, {
      hint: `leave out ${shaping.join(', ')} to ${what} the stored cluster, or give another --dir for a new one`,
    });
  }
  return stored;
}
