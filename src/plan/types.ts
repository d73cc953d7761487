// The shapes shared by every layer: what the user asked for (ClusterSpec) and what etcd-lab will run (ClusterPlan).
import type { TlsPlan } from './tls.js';

export type Profile = 'fast' | 'default';

/** How ports are chosen. `auto` is resolved to `explicit` by I/O code before planning (plan/ stays pure). */
export type PortLayout =
  | { kind: 'etcd' }
  | { kind: 'base'; base: number }
  | { kind: 'auto' }
  | { kind: 'explicit'; ports: MemberPorts[] };

export interface MemberPorts {
  client: number;
  peer: number;
  /** The member's own forward proxy (chaos mode only). */
  proxy?: number;
}

export interface ClusterSpec {
  nodes: number;
  allowEven: boolean;
  namePrefix: string;
  /** Explicit member names (YAML `names:`); overrides namePrefix. */
  names?: string[];
  host: string;
  /** State dir, as the user wrote it (relative paths stay relative in a Procfile). */
  dir: string;
  ports: PortLayout;
  profile: Profile;
  heartbeatInterval?: number;
  electionTimeout?: number;
  quotaBackendBytes?: number;
  snapshotCount?: number;
  /** Extra etcd args for every member. */
  extraArgs: string[];
  /** Extra etcd args per member name. */
  memberExtraArgs: Record<string, string[]>;
  /** --initial-cluster-token; a random one is made when absent. */
  clusterToken?: string;
  /** Chaos mode: a forward proxy per member on the peer path. */
  chaos: boolean;
  /** HTTPS with client certificates on the client and peer ports. */
  tls?: boolean;
}

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
  /** As etcd printed it, e.g. "3.4.23". */
  text: string;
}

export interface MemberPlan {
  /** 1-based position in the cluster. */
  index: number;
  name: string;
  clientPort: number;
  peerPort: number;
  proxyPort: number | null;
  clientURL: string;
  /** The peer URL the member advertises (host `localhost.` in chaos mode, see docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side). */
  peerURL: string;
  listenClientURL: string;
  listenPeerURL: string;
  dataDir: string;
  /** etcd arguments, binary not included. */
  args: string[];
  /** Environment the member needs on top of the scrubbed parent environment (HTTP_PROXY in chaos mode). */
  env: Record<string, string>;
  /** The etcd binary this member runs since `etcd-lab upgrade` replaced it; absent: the cluster's binary. */
  etcdPath?: string;
  /** The version of `etcdPath` (present with it). */
  etcdVersion?: EtcdVersion;
}

export interface ClusterPlan {
  version: 1;
  token: string;
  dir: string;
  host: string;
  etcdVersion: EtcdVersion;
  profile: Profile;
  heartbeatInterval: number;
  electionTimeout: number;
  quorum: number;
  faultTolerance: number;
  chaos: boolean;
  /** Present when the cluster runs with TLS. */
  tls?: TlsPlan;
  initialCluster: string;
  members: MemberPlan[];
  /** Things the user should know but that do not stop the plan (even count, > 7 members, public host). */
  warnings: string[];
}
