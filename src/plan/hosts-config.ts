// PURE. The `hosts:` list of etcd-lab.yaml: each item an address ("10.0.1.10") or a mapping
// (address, name, data-dir, client-port, peer-port).
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { didYouMean } from './suggest.js';
import { failAt as fail, type Where } from './yaml-doc.js';
import type { HostSpec } from './hosts.js';

const HOST_KEYS = ['address', 'name', 'data-dir', 'client-port', 'peer-port'];

function text(node: Node, key: string, at: Where): string {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v !== 'string' || v.trim() === '') fail(at(node), `${key} must be a non-empty string`);
  return v.trim();
}

function port(node: Node, key: string, at: Where): number {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(at(node), `${key} must be a port number, got ${JSON.stringify(v ?? null)}`);
  return v;
}

export function parseHostsNode(node: Node, at: Where): HostSpec[] {
  if (!isSeq(node)) fail(at(node), 'hosts must be a list, e.g. [10.0.1.10, 10.0.1.11, 10.0.1.12]');
  return node.items.map((item, i) => {
    const n = item as Node;
    const where = at(n);
    if (isScalar(n)) return { address: text(n, `hosts[${i}]`, at), where };
    if (!isMap(n)) fail(where, `hosts[${i}] must be an address or a mapping with "address"`);
    const h: HostSpec = { address: '', where };
    for (const pair of n.items) {
      const k = String(isScalar(pair.key) ? pair.key.value : '');
      const v = pair.value as Node;
      if (!HOST_KEYS.includes(k)) fail(at(pair.key as Node), `unknown key "hosts[${i}].${k}"${didYouMean(k, HOST_KEYS)}`, `known keys: ${HOST_KEYS.join(', ')}`);
      if (k === 'address') h.address = text(v, `hosts[${i}].address`, at);
      else if (k === 'name') h.name = text(v, `hosts[${i}].name`, at);
      else if (k === 'data-dir') h.dataDir = text(v, `hosts[${i}].data-dir`, at);
      else if (k === 'client-port') h.clientPort = port(v, `hosts[${i}].client-port`, at);
      else h.peerPort = port(v, `hosts[${i}].peer-port`, at);
    }
    if (h.address === '') fail(where, `hosts[${i}] has no address`);
    return h;
  });
}
