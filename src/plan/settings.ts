import { LabError } from '../errors.js';
import { checkMemberCount } from './count.js';
import { defaultSpec } from './plan.js';
import type { BootstrapMode } from './bootstrap.js';
import type { HostSpec } from './hosts.js';
import type { ClusterSpec, PortLayout, Profile } from './types.js';

export type RestartPolicy = 'on-failure' | 'never';

/** Every cluster setting a user can give, by flag or in etcd-lab.yaml. */
export interface Settings {
  nodes: number;
  allowEven: boolean;
  namePrefix: string;
  names: string[];
  host: string;
  dir: string;
  ports: PortLayout;
  profile: Profile;
  heartbeatInterval: number;
  electionTimeout: number;
  quotaBackendBytes: number;
  snapshotCount: number;
  extraArgs: string[];
  memberExtraArgs: Record<string, string[]>;
  clusterToken: string;
  etcd: string;
  etcdVersion: string;
  chaos: boolean;
  tls: boolean;
  restart: RestartPolicy;
  /** Multi-host plans (hosts.ts): one member per host. */
  hosts: HostSpec[];
  bootstrap: BootstrapMode;
  discoveryEndpoints: string[];
  discoveryToken: string;
  dnsDomain: string;
}

/** Settings read from a file, with the `file:line:col` each one came from (for errors that point at it). */
export interface SettingsSource {
  values: Partial<Settings>;
  where: Partial<Record<keyof Settings, string>>;
}

export interface ResolvedSettings {
  spec: ClusterSpec;
  etcd?: string;
  etcdVersion?: string;
  restart: RestartPolicy;
  /** The multi-host settings, when hosts are given (flag or file). */
  hosts?: Pick<Settings, 'hosts' | 'bootstrap'> & Partial<Pick<Settings, 'discoveryEndpoints' | 'discoveryToken' | 'dnsDomain'>>;
  /** Where each value came from, for messages. */
  where: Partial<Record<keyof Settings, string>>;
}

/** Flags override the file; the file overrides defaults. Validates what can be validated without I/O. */
export function resolveSettings(flags: Partial<Settings>, file?: SettingsSource): ResolvedSettings {
  const fromFile = file?.values ?? {};
  const where: Partial<Record<keyof Settings, string>> = {};
  const pick = <K extends keyof Settings>(k: K): Settings[K] | undefined => {
    if (flags[k] !== undefined) return flags[k];
    if (fromFile[k] !== undefined) {
      const w = file?.where[k];
      if (w) where[k] = w;
      return fromFile[k];
    }
    return undefined;
  };
  const d = defaultSpec();
  const names = pick('names');
  const nodes = pick('nodes') ?? names?.length ?? d.nodes;
  const allowEven = pick('allowEven') ?? false;
  if (where.nodes) {
    try {
      checkMemberCount(nodes, allowEven);
    } catch (e) {
      if (e instanceof LabError && e.code === 'EVEN_MEMBERS') {
        throw new LabError('EVEN_MEMBERS', `${where.nodes}: nodes must be an odd number, got ${nodes}: ${e.message}`);
      }
      if (e instanceof LabError) throw new LabError(e.code, `${where.nodes}: ${e.message}`, e.hint ? { hint: e.hint } : {});
      throw e;
    }
  }
  if (names && names.length !== nodes) {
    const at = where.names ?? where.nodes;
    throw new LabError('BAD_CONFIG', `${at ? `${at}: ` : ''}${names.length} names are given for ${nodes} members`, {
      hint: 'give one name per member, or drop one of `names` / `nodes`',
    });
  }
  const spec: ClusterSpec = {
    ...d,
    nodes,
    allowEven,
    namePrefix: pick('namePrefix') ?? d.namePrefix,
    ...(names ? { names } : {}),
    host: pick('host') ?? d.host,
    dir: pick('dir') ?? d.dir,
    ports: pick('ports') ?? d.ports,
    profile: pick('profile') ?? d.profile,
    extraArgs: [...(fromFile.extraArgs ?? []), ...(flags.extraArgs ?? [])],
    memberExtraArgs: { ...(fromFile.memberExtraArgs ?? {}), ...(flags.memberExtraArgs ?? {}) },
    chaos: pick('chaos') ?? false,
    ...(pick('tls') ? { tls: true } : {}),
  };
  const optional = ['heartbeatInterval', 'electionTimeout', 'quotaBackendBytes', 'snapshotCount', 'clusterToken'] as const;
  for (const k of optional) {
    const v = pick(k);
    if (v !== undefined) (spec as unknown as Record<string, unknown>)[k] = v;
  }
  const etcd = pick('etcd');
  const etcdVersion = pick('etcdVersion');
  const hostList = pick('hosts');
  const bootstrap = pick('bootstrap');
  const hostExtras = { discoveryEndpoints: pick('discoveryEndpoints'), discoveryToken: pick('discoveryToken'), dnsDomain: pick('dnsDomain') };
  if (hostList === undefined && (bootstrap !== undefined && bootstrap !== 'static')) {
    throw new LabError('USAGE', `bootstrap ${bootstrap} is for clusters on several hosts, and no hosts are given`, {
      hint: 'add --hosts 10.0.1.10,10.0.1.11,10.0.1.12 (or hosts: in etcd-lab.yaml)',
    });
  }
  const hosts = hostList === undefined
    ? undefined
    : {
        hosts: hostList,
        bootstrap: bootstrap ?? 'static',
        ...Object.fromEntries(Object.entries(hostExtras).filter(([, v]) => v !== undefined)),
      };
  return {
    spec,
    ...(etcd !== undefined ? { etcd } : {}),
    ...(etcdVersion !== undefined ? { etcdVersion } : {}),
    restart: pick('restart') ?? 'on-failure',
    ...(hosts ? { hosts } : {}),
    where,
  };
}
