// `plan` and `procfile` on a state dir that holds a cluster etcd-lab made: they show or export that cluster (its data
// is there, and `up` resumes it), not a new plan with another token and other ports that its data would not fit.
// Settings that differ from the stored cluster's are refused as `up` refuses them (prepare-up.ts checkCompatible).
import { resolve } from 'node:path';
import type { ResolvedSettings } from '../plan/settings.js';
import type { ClusterPlan } from '../plan/types.js';
import { checkCompatible, type UpRequest } from '../supervisor/prepare-up.js';
import { readLabPlan } from '../supervisor/owned-files.js';
import { statePaths } from '../supervisor/state-dir.js';

/** The plan stored in the settings' state dir, or null when it holds none etcd-lab wrote; `fresh` is what they make. */
export function storedPlanFor(settings: ResolvedSettings & { given: UpRequest['given'] }, fresh: ClusterPlan): ClusterPlan | null {
  const dir = resolve(settings.spec.dir);
  const stored = readLabPlan(statePaths(dir).plan);
  if (!stored) return null;
  checkCompatible(dir, stored, { settings, given: settings.given }, fresh);
  return stored;
}
