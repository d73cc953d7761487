import { randomBytes } from 'node:crypto';
import { LabError } from './errors.js';
import { buildPlan } from './plan/plan.js';
import type { ResolvedSettings } from './plan/settings.js';
import type { ClusterPlan, EtcdVersion } from './plan/types.js';

export interface PreparedPlan {
  plan: ClusterPlan;
  /** The etcd binary, when one was looked for. */
  etcd: { path: string; version: EtcdVersion } | null;
}

export function newClusterToken(): string {
  return `etcd-lab-${randomBytes(6).toString('hex')}`;
}

/**
 * Settings -> plan, doing the I/O the pure planner leaves out: find the etcd binary (or take --etcd-version),
 * pick free ports for `--ports auto`, make a token.
 */
export async function preparePlan(
  settings: ResolvedSettings,
  opts: { needBinary: boolean; allowDownload?: boolean; onDownloadProgress?: (p: { received: number; total: number | null }) => void },
): Promise<PreparedPlan> {
  const { parseVersionArg } = await import('./etcd/version.js');
  let etcd: PreparedPlan['etcd'] = null;
  const want = settings.etcdVersion !== undefined ? parseVersionArg(settings.etcdVersion) : undefined;
  let version: EtcdVersion | undefined = want;
  if (opts.needBinary || version === undefined) {
    const { findEtcd } = await import('./etcd/binary.js');
    try {
      const found = await findEtcd({
        ...(settings.etcd !== undefined ? { flag: settings.etcd } : {}),
        env: process.env,
        ...(want !== undefined ? { want } : {}),
        allowDownload: opts.allowDownload ?? false,
        ...(opts.onDownloadProgress ? { onProgress: opts.onDownloadProgress } : {}),
      });
      etcd = { path: found.path, version: found.version };
    } catch (e) {
      if (opts.needBinary || !(e instanceof LabError) || e.code !== 'ETCD_NOT_FOUND') throw e;
      throw new LabError('ETCD_NOT_FOUND', `${e.message}; the plan needs to know the etcd version`, {
        hint: `pass --etcd-version 3.5 (or 3.4, 3.6) to plan without a binary; ${e.hint ?? ''}`.trim(),
      });
    }
    version = etcd.version;
  }
  let spec = settings.spec;
  if (spec.ports.kind === 'auto') {
    const { allocatePorts } = await import('./supervisor/ports.js');
    spec = { ...spec, ports: { kind: 'explicit', ports: await allocatePorts(spec.nodes, spec.chaos, spec.host) } };
  }
  const plan = buildPlan(spec, version, spec.clusterToken ?? newClusterToken());
  return { plan, etcd };
}
