// PURE. The addresses a multi-host plan names: IPv4, IPv6 (bare or in brackets) or a DNS host name.
import { LabError } from '../errors.js';

export type AddressKind = 'ipv4' | 'ipv6' | 'dns';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isIpv4(a: string): boolean {
  const m = IPV4.exec(a);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
}

function isIpv6(a: string): boolean {
  if (!a.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(a)) return false;
  try {
    // URL parsing is pure and knows IPv6 exactly (compression, embedded IPv4).
    return new URL(`http://[${a}]/`).hostname !== '';
  } catch {
    return false;
  }
}

function isHostName(a: string): boolean {
  if (a.length > 253) return false;
  const labels = a.replace(/\.$/, '').split('.');
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** What kind of address `text` is, with brackets around IPv6 removed; BAD_HOST when it is none. */
export function parseAddress(text: string, where: string): { address: string; kind: AddressKind } {
  const raw = text.trim();
  const a = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (a === '') throw new LabError('BAD_HOST', `${where}: an empty host`, { hint: 'give addresses separated by commas, e.g. --hosts 10.0.1.10,10.0.1.11,10.0.1.12' });
  if (a === '0.0.0.0' || a === '::') {
    throw new LabError('BAD_HOST', `${where}: ${a} is not a host's address (members advertise it to clients and peers)`, {
      hint: 'give each host\'s own address, e.g. 10.0.1.10',
    });
  }
  if (isIpv4(a)) return { address: a, kind: 'ipv4' };
  if (isIpv6(a)) return { address: a.toLowerCase(), kind: 'ipv6' };
  if (!IPV4.test(a) && !a.includes(':') && isHostName(a)) return { address: a.toLowerCase().replace(/\.$/, ''), kind: 'dns' };
  throw new LabError('BAD_HOST', `${where}: "${text}" is not an IPv4 or IPv6 address or a host name`, {
    hint: 'e.g. 10.0.1.10, [fd00::10] or etcd1.example.com',
  });
}

/** `host` as it goes in a URL (IPv6 in brackets). */
export function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

export function hostURL(address: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${urlHost(address)}:${port}`;
}
