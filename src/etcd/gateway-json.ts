// The JSON of etcd's gRPC gateway: its error answers, member IDs (decimal there, hex in etcd's tools), base64
// keys and values, prefix range ends, and the member entries of its answers.
import { LabError } from '../errors.js';
import type { EtcdMember } from './client.js';
import { parseJsonSafe } from './json.js';

export type Json = Record<string, unknown>;

export function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** The gateway reports errors as `{error, code, message}`, with an HTTP error status or (rarely) 200. */
export function gatewayError(body: unknown): { message: string; code?: number } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Json;
  const message = typeof b.message === 'string' && b.message ? b.message : typeof b.error === 'string' ? b.error : undefined;
  const code = typeof b.code === 'number' ? b.code : undefined;
  if (message === undefined) return null;
  if (typeof b.error !== 'string' && (code === undefined || code === 0)) return null;
  return { message, code };
}

export function tryParse(text: string): unknown {
  try {
    return parseJsonSafe(text);
  } catch {
    return undefined;
  }
}

/** Decimal (as the gateway prints uint64s) to etcd's hex spelling of member IDs. */
export function decimalToHexId(id: unknown): string {
  if (id === undefined || id === null || id === '') return '0';
  return BigInt(String(id)).toString(16);
}

/** etcd's hex member ID to the decimal string the gateway expects. */
export function hexIdToDecimal(id: string): string {
  if (!/^[0-9a-fA-F]{1,16}$/.test(id)) {
    throw new LabError('USAGE', `"${id}" is not an etcd member ID`, {
      hint: 'member IDs are up to 16 hex digits, as `etcdctl member list` prints them, e.g. 8211f1d0f64f3269',
    });
  }
  return BigInt(`0x${id}`).toString(10);
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

export function unb64(s: unknown): string {
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '';
}

/** etcd's range end for "every key with this prefix": the prefix with its last byte below 0xff incremented. */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]! += 1;
      return end;
    }
  }
  return Buffer.from([0]); // no upper bound: every key from the start key on
}

export function str(v: unknown, fallback = '0'): string {
  return v === undefined || v === null ? fallback : String(v);
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

export function header(body: Json): Json {
  return typeof body.header === 'object' && body.header !== null ? (body.header as Json) : {};
}

export function toMember(m: unknown): EtcdMember {
  const o = (m ?? {}) as Json;
  return {
    id: decimalToHexId(o.ID),
    name: typeof o.name === 'string' ? o.name : '',
    peerURLs: strings(o.peerURLs),
    clientURLs: strings(o.clientURLs),
    isLearner: o.isLearner === true,
  };
}
