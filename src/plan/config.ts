import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { LabError } from '../errors.js';
import { parseHostsNode } from './hosts-config.js';
import { parsePortsOption } from './ports.js';
import { didYouMean } from './suggest.js';
import { failAt as fail, readYaml, type Where } from './yaml-doc.js';
import type { Settings, SettingsSource } from './settings.js';

/** YAML keys (the flags' spelling) and the setting each one fills. */
const KEYS = {
  nodes: 'nodes',
  'allow-even': 'allowEven',
  'name-prefix': 'namePrefix',
  names: 'names',
  host: 'host',
  dir: 'dir',
  ports: 'ports',
  profile: 'profile',
  'heartbeat-interval': 'heartbeatInterval',
  'election-timeout': 'electionTimeout',
  'quota-backend-bytes': 'quotaBackendBytes',
  'snapshot-count': 'snapshotCount',
  'extra-args': 'extraArgs',
  members: 'memberExtraArgs',
  'cluster-token': 'clusterToken',
  etcd: 'etcd',
  'etcd-version': 'etcdVersion',
  chaos: 'chaos',
  tls: 'tls',
  restart: 'restart',
  hosts: 'hosts',
  bootstrap: 'bootstrap',
  'discovery-endpoints': 'discoveryEndpoints',
  'discovery-token': 'discoveryToken',
  'dns-domain': 'dnsDomain',
} as const satisfies Record<string, keyof Settings>;

export const CONFIG_KEYS = Object.keys(KEYS);

function scalar(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

function int(node: Node, key: string, at: Where): number {
  const v = scalar(node);
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(at(node), `${key} must be a whole number, got ${JSON.stringify(v ?? String(node))}`);
  return v;
}

function str(node: Node, key: string, at: Where): string {
  const v = scalar(node);
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || v === '') fail(at(node), `${key} must be a non-empty string`);
  return v;
}

function bool(node: Node, key: string, at: Where): boolean {
  const v = scalar(node);
  if (typeof v !== 'boolean') fail(at(node), `${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function strList(node: Node, key: string, at: Where): string[] {
  if (!isSeq(node)) fail(at(node), `${key} must be a list, e.g. [--auto-compaction-retention=1]`);
  return node.items.map((item) => str(item as Node, `each entry of ${key}`, at));
}

/** Parses etcd-lab.yaml text; `file` is the name used in error positions. */
export function parseConfig(text: string, file = 'etcd-lab.yaml'): SettingsSource {
  const { doc, at } = readYaml(text, file);
  const out: SettingsSource = { values: {}, where: {} };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return out;
  if (!isMap(doc.contents)) fail(at(doc.contents), 'the file must be a mapping of settings, e.g. "nodes: 3"');
  const values = out.values as Record<string, unknown>;
  for (const pair of doc.contents.items) {
    const keyNode = pair.key as Node;
    const key = String(scalar(keyNode));
    const node = pair.value as Node;
    if (!(key in KEYS)) {
      fail(at(keyNode), `unknown key "${key}"${didYouMean(key, CONFIG_KEYS)}`, `known keys: ${CONFIG_KEYS.join(', ')}`);
    }
    if (node === null || (isScalar(node) && node.value === null)) fail(at(keyNode), `${key} has no value`);
    const setting = KEYS[key as keyof typeof KEYS];
    out.where[setting] = at(node);
    switch (setting) {
      case 'nodes':
      case 'heartbeatInterval':
      case 'electionTimeout':
      case 'quotaBackendBytes':
      case 'snapshotCount':
        values[setting] = int(node, key, at);
        break;
      case 'allowEven':
      case 'chaos':
      case 'tls':
        values[setting] = bool(node, key, at);
        break;
      case 'hosts':
        values.hosts = parseHostsNode(node, at);
        break;
      case 'bootstrap': {
        const v = str(node, key, at);
        if (v !== 'static' && v !== 'discovery' && v !== 'dns') fail(at(node), `bootstrap must be static, discovery or dns, got "${v}"${didYouMean(v, ['static', 'discovery', 'dns'])}`);
        values.bootstrap = v;
        break;
      }
      case 'names':
      case 'discoveryEndpoints':
      case 'extraArgs':
        values[setting] = strList(node, key, at);
        break;
      case 'ports': {
        try {
          values.ports = parsePortsOption(String(scalar(node)), key);
        } catch (e) {
          fail(at(node), (e as Error).message, (e as LabError).hint);
        }
        break;
      }
      case 'profile': {
        const v = str(node, key, at);
        if (v !== 'fast' && v !== 'default') fail(at(node), `profile must be "fast" or "default", got "${v}"${didYouMean(v, ['fast', 'default'])}`);
        values.profile = v;
        break;
      }
      case 'restart': {
        const v = str(node, key, at);
        if (v !== 'on-failure' && v !== 'never') fail(at(node), `restart must be "on-failure" or "never", got "${v}"`);
        values.restart = v;
        break;
      }
      case 'memberExtraArgs': {
        if (!isMap(node)) fail(at(node), 'members must map member names to settings, e.g. "m1: { extra-args: [...] }"');
        const m: Record<string, string[]> = {};
        for (const mp of node.items) {
          const name = String(scalar(mp.key));
          const v = mp.value as Node;
          if (!isMap(v)) fail(at(v ?? (mp.key as Node)), `members.${name} must be a mapping, e.g. "{ extra-args: [--log-level=debug] }"`);
          for (const inner of v.items) {
            const ik = String(scalar(inner.key));
            if (ik !== 'extra-args') fail(at(inner.key as Node), `unknown key "members.${name}.${ik}"${didYouMean(ik, ['extra-args'])}`);
            m[name] = strList(inner.value as Node, `members.${name}.extra-args`, at);
          }
        }
        values.memberExtraArgs = m;
        break;
      }
      default:
        values[setting] = str(node, key, at);
    }
  }
  return out;
}
