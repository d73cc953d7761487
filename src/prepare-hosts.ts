import { LabError } from './errors.js';
import { newClusterToken } from './prepare.js';
import { DEFAULT_HOST_DATA_DIR, buildHostsPlan, type HostsPlan, type HostsSpec } from './plan/hosts.js';
import type { ResolvedSettings } from './plan/settings.js';
import type { EtcdVersion } from './plan/types.js';

/** The multi-host parts of a spec that are not settings of a one-machine cluster. */
export interface HostsExtras {
  dataDir?: string;
  pkiDir?: string;
  /** The keys the user set (flag or file): the profile defaults to `default` on real hosts. */
  given: ReadonlySet<string>;
}

/** ResolvedSettings (with hosts) -> the pure planner's input. */
export function hostsSpecOf(settings: ResolvedSettings, extras: HostsExtras): HostsSpec {
  const h = settings.hosts;
  if (!h) throw new LabError('USAGE', 'no hosts given', { hint: 'pass --hosts 10.0.1.10,10.0.1.11,10.0.1.12 or set hosts: in etcd-lab.yaml' });
  const s = settings.spec;
  if (extras.given.has('nodes') && s.nodes !== h.hosts.length) {
    throw new LabError('USAGE', `-n/--nodes ${s.nodes} does not match the ${h.hosts.length} hosts given (one member per host)`, { hint: 'drop -n/--nodes with --hosts' });
  }
  if (s.chaos) {
    throw new LabError('USAGE', 'chaos mode (per-member proxies) is for one machine; on hosts the network itself is the fault line', {
      hint: 'drop --chaos; `etcd-lab netns` partitions netns hosts at the kernel level',
    });
  }
  return {
    hosts: h.hosts,
    allowEven: s.allowEven,
    namePrefix: s.namePrefix,
    dataDir: extras.dataDir ?? DEFAULT_HOST_DATA_DIR,
    profile: extras.given.has('profile') ? s.profile : 'default',
    ...(s.heartbeatInterval !== undefined ? { heartbeatInterval: s.heartbeatInterval } : {}),
    ...(s.electionTimeout !== undefined ? { electionTimeout: s.electionTimeout } : {}),
    ...(s.quotaBackendBytes !== undefined ? { quotaBackendBytes: s.quotaBackendBytes } : {}),
    ...(s.snapshotCount !== undefined ? { snapshotCount: s.snapshotCount } : {}),
    extraArgs: s.extraArgs,
    bootstrap: {
      mode: h.bootstrap,
      ...(h.discoveryEndpoints ? { discoveryEndpoints: h.discoveryEndpoints } : {}),
      ...(h.discoveryToken ? { discoveryToken: h.discoveryToken } : {}),
      ...(h.dnsDomain ? { dnsDomain: h.dnsDomain } : {}),
    },
    ...(s.tls ? { tls: true } : {}),
    ...(extras.pkiDir ? { pkiDir: extras.pkiDir } : {}),
  };
}

/** The etcd version to plan for: --etcd-version, else the binary's. */
export async function planVersion(settings: ResolvedSettings): Promise<{ version: EtcdVersion; etcdPath: string | null }> {
  const { parseVersionArg } = await import('./etcd/version.js');
  if (settings.etcdVersion !== undefined) return { version: parseVersionArg(settings.etcdVersion), etcdPath: null };
  const { findEtcd } = await import('./etcd/binary.js');
  const found = await findEtcd({ ...(settings.etcd !== undefined ? { flag: settings.etcd } : {}), env: process.env, allowDownload: false });
  return { version: found.version, etcdPath: found.path };
}

export async function prepareHostsPlan(settings: ResolvedSettings, extras: HostsExtras): Promise<{ plan: HostsPlan; etcdPath: string | null }> {
  const spec = hostsSpecOf(settings, extras);
  const { version, etcdPath } = await planVersion(settings);
  return { plan: buildHostsPlan(spec, version, settings.spec.clusterToken ?? newClusterToken()), etcdPath };
}
