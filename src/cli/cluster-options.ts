import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { LabError } from '../errors.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The options every command that takes cluster settings shares (flags mirror etcd-lab.yaml keys). */
export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('-n, --nodes <count>', 'number of members (odd: 3, 5, 7)')
    .option('--allow-even', 'allow an even member count (to demonstrate why it is a bad idea)')
    .option('--name-prefix <prefix>', 'member names are <prefix>1..N (default "m"; etcd\'s Procfile uses "infra")')
    .option('--host <address>', 'address members listen on (default 127.0.0.1)')
    .option('--dir <dir>', 'state folder: data, logs, state (default .etcd-lab)')
    .option('--ports <layout>', 'etcd (2379, 22379, ...), auto (free ports), or a base port number')
    .addOption(new Option('--profile <profile>', 'timing: fast (10/100 ms) or default (100/1000 ms)').choices(['fast', 'default']))
    .option('--heartbeat-interval <ms>', 'raft heartbeat interval in ms')
    .option('--election-timeout <ms>', 'raft election timeout in ms (at least 5x the heartbeat)')
    .option('--quota-backend-bytes <bytes>', 'backend size quota')
    .option('--snapshot-count <n>', 'committed transactions between snapshots')
    .option('--extra-arg <arg>', 'extra etcd flag for every member (repeatable)', collect)
    .option('--cluster-token <token>', 'initial cluster token (default: a new random one)')
    .option('--etcd <path>', 'etcd binary (default: $ETCD_BIN, PATH, then the download cache)')
    .option('--etcd-version <x.y>', 'plan for this etcd version instead of reading the binary')
    .option('--chaos', 'put a forward proxy on every member\'s peer path so network faults work')
    .option('--tls', 'HTTPS with client certificates on client and peer ports (a CA and certificates are made in <dir>/pki)')
    .option('-c, --config <file>', 'settings file (default ./etcd-lab.yaml when present)');
}

export interface ClusterFlags {
  nodes?: string;
  allowEven?: true;
  namePrefix?: string;
  host?: string;
  dir?: string;
  ports?: string;
  profile?: 'fast' | 'default';
  heartbeatInterval?: string;
  electionTimeout?: string;
  quotaBackendBytes?: string;
  snapshotCount?: string;
  extraArg?: string[];
  clusterToken?: string;
  etcd?: string;
  etcdVersion?: string;
  chaos?: true;
  tls?: true;
  config?: string;
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new LabError('USAGE', `${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

/** Reads the config file (when any) and merges the flags over it. */
export async function loadSettings(flags: ClusterFlags, opts: { defaultConfig?: boolean } = {}) {
  const [{ parseMemberCount }, { parsePortsOption }, { resolveSettings }] = await Promise.all([
    import('../plan/count.js'),
    import('../plan/ports.js'),
    import('../plan/settings.js'),
  ]);
  type S = import('../plan/settings.js').Settings;
  const f: Partial<S> = {};
  if (flags.nodes !== undefined) f.nodes = parseMemberCount(flags.nodes);
  if (flags.allowEven) f.allowEven = true;
  if (flags.namePrefix !== undefined) f.namePrefix = flags.namePrefix;
  if (flags.host !== undefined) f.host = flags.host;
  if (flags.dir !== undefined) f.dir = flags.dir;
  if (flags.ports !== undefined) f.ports = parsePortsOption(flags.ports);
  if (flags.profile !== undefined) f.profile = flags.profile;
  if (flags.heartbeatInterval !== undefined) f.heartbeatInterval = wholeNumber('--heartbeat-interval', flags.heartbeatInterval);
  if (flags.electionTimeout !== undefined) f.electionTimeout = wholeNumber('--election-timeout', flags.electionTimeout);
  if (flags.quotaBackendBytes !== undefined) f.quotaBackendBytes = wholeNumber('--quota-backend-bytes', flags.quotaBackendBytes);
  if (flags.snapshotCount !== undefined) f.snapshotCount = wholeNumber('--snapshot-count', flags.snapshotCount);
  if (flags.extraArg !== undefined) f.extraArgs = flags.extraArg;
  if (flags.clusterToken !== undefined) f.clusterToken = flags.clusterToken;
  if (flags.etcd !== undefined) f.etcd = flags.etcd;
  if (flags.etcdVersion !== undefined) f.etcdVersion = flags.etcdVersion;
  if (flags.chaos) f.chaos = true;
  if (flags.tls) f.tls = true;
  const hf = flags as import('./hosts-options.js').HostsFlags;
  if (hf.hosts !== undefined) f.hosts = (await import('../plan/hosts.js')).parseHostsOption(hf.hosts);
  if (hf.bootstrap !== undefined) f.bootstrap = hf.bootstrap;
  if (hf.discoveryEndpoints !== undefined) f.discoveryEndpoints = hf.discoveryEndpoints.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (hf.discoveryToken !== undefined) f.discoveryToken = hf.discoveryToken;
  if (hf.dnsDomain !== undefined) f.dnsDomain = hf.dnsDomain;

  let file: import('../plan/settings.js').SettingsSource | undefined;
  const path = flags.config ?? (opts.defaultConfig !== false && existsSync('etcd-lab.yaml') ? 'etcd-lab.yaml' : undefined);
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new LabError('BAD_CONFIG', `cannot read ${path}: ${(e as Error).message}`, {
        hint: 'etcd-lab init writes an annotated etcd-lab.yaml',
      });
    }
    const { parseConfig } = await import('../plan/config.js');
    file = parseConfig(text, path);
  }
  const given = new Set<keyof S>([...(Object.keys(f) as (keyof S)[]), ...(Object.keys(file?.values ?? {}) as (keyof S)[])]);
  return { ...resolveSettings(f, file), given };
}
