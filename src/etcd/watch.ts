// A streamed watch through etcd's JSON gateway (`POST /v3/watch`, etcd 3.4+). The gateway answers with one JSON
// object a line, `{"result": WatchResponse}`; keys and values are base64; an event without `type` is a PUT
// (proto3 leaves the default out), a delete says `"type":"DELETE"`. The first answer says `created`; a watch
// from a compacted revision is answered `canceled` with `compact_revision`.
import http from 'node:http';
import https from 'node:https';
import { prefixRangeEnd } from './gateway-json.js';
import { EtcdRequestError } from './request-error.js';

export interface WatchRequest {
  /** Every key starting with this prefix. */
  prefix: string;
  /** First revision to deliver (default: from now on). */
  startRevision?: number;
  /** Ask for each event's previous key-value. */
  prevKv?: boolean;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** null for a delete. */
  value: string | null;
  /** The event's revision (mod_revision). */
  revision: number;
  prevValue?: string | null;
}

export interface WatchResponse {
  /** header.revision */
  revision: number;
  created: boolean;
  events: WatchEvent[];
  canceled: boolean;
  /** Set when the start revision was compacted away. */
  compactRevision?: number;
  cancelReason?: string;
}

/** How a watch stream ended. */
export type WatchEnd =
  | { reason: 'cancelled' }
  | { reason: 'compacted'; compactRevision: number }
  | { reason: 'canceled'; message: string }
  | { reason: 'closed' }
  | { reason: 'error'; error: EtcdRequestError };

export interface WatchHandle {
  /** Resolves with how the stream ended; never rejects. */
  readonly done: Promise<WatchEnd>;
  /** Resolves once etcd said `created` (false when the stream ended first). */
  readonly created: Promise<boolean>;
  cancel(): void;
}

type Json = Record<string, unknown>;

function unb64(s: unknown): string {
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '';
}

function toEvent(e: Json): WatchEvent {
  const kv = (e.kv ?? {}) as Json;
  const type = e.type === 'DELETE' ? 'delete' : 'put';
  const ev: WatchEvent = { type, key: unb64(kv.key), value: type === 'delete' ? null : unb64(kv.value), revision: Number(kv.mod_revision ?? 0) };
  if (e.prev_kv !== undefined) ev.prevValue = unb64((e.prev_kv as Json).value);
  return ev;
}

/** One line of the stream; null when it is not a watch response. */
export function parseWatchLine(line: string): WatchResponse | { error: string } | null {
  let o: Json;
  try {
    o = JSON.parse(line) as Json;
  } catch {
    return null;
  }
  if (o.error !== undefined && o.result === undefined) {
    const err = o.error as Json;
    return { error: typeof err === 'string' ? err : String(err.message ?? JSON.stringify(err)) };
  }
  const r = (o.result ?? {}) as Json;
  const header = (r.header ?? {}) as Json;
  const out: WatchResponse = {
    revision: Number(header.revision ?? 0),
    created: r.created === true,
    events: (Array.isArray(r.events) ? r.events : []).map((e) => toEvent(e as Json)),
    canceled: r.canceled === true,
  };
  if (r.compact_revision !== undefined && Number(r.compact_revision) > 0) out.compactRevision = Number(r.compact_revision);
  if (typeof r.cancel_reason === 'string' && r.cancel_reason) out.cancelReason = r.cancel_reason;
  return out;
}

export interface OpenWatchSpec {
  url: URL;
  agent: http.Agent;
  /** Bound on getting the stream going (the `created` answer); none after that. */
  timeoutMs: number;
  req: WatchRequest;
  onResponse: (r: WatchResponse) => void;
  signal?: AbortSignal;
}

export function openWatch(spec: OpenWatchSpec): WatchHandle {
  const where = spec.url.href;
  const create: Json = { key: Buffer.from(spec.req.prefix, 'utf8').toString('base64'), range_end: prefixRangeEnd(spec.req.prefix).toString('base64') };
  if (spec.req.startRevision !== undefined) create.start_revision = String(spec.req.startRevision);
  if (spec.req.prevKv) create.prev_kv = true;
  const body = JSON.stringify({ create_request: create });
  let settle!: (e: WatchEnd) => void;
  let markCreated!: (v: boolean) => void;
  const created = new Promise<boolean>((r) => (markCreated = r));
  let req: http.ClientRequest | undefined;
  let ended = false;
  const done = new Promise<WatchEnd>((resolve) => {
    settle = (e) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', cancel);
      markCreated(false);
      req?.destroy();
      resolve(e);
    };
  });
  const cancel = (): void => settle({ reason: 'cancelled' });
  const timer = setTimeout(() => {
    settle({ reason: 'error', error: new EtcdRequestError('timeout', `POST ${where}: the watch was not created within ${spec.timeoutMs} ms`, { url: where }) });
  }, spec.timeoutMs);
  if (spec.signal?.aborted) cancel();
  else spec.signal?.addEventListener('abort', cancel, { once: true });
  if (!ended) {
    const lib = spec.url.protocol === 'https:' ? https : http;
    const headers = { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    req = lib.request(spec.url, { method: 'POST', headers, agent: spec.agent }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) onLine(line, res.statusCode ?? 0);
        }
      });
      res.on('end', () => {
        if (buf.trim()) onLine(buf.trim(), res.statusCode ?? 0);
        settle({ reason: 'closed' });
      });
      res.on('error', () => settle({ reason: 'closed' }));
      res.on('close', () => settle({ reason: 'closed' }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const kind = e.code === 'ECONNREFUSED' ? 'refused' : 'network';
      settle({ reason: 'error', error: new EtcdRequestError(kind, `POST ${where}: ${e.code ?? e.message}`, { url: where, cause: e }) });
    });
    req.end(body);
  }
  const onLine = (line: string, status: number): void => {
    if (ended) return;
    const r = parseWatchLine(line);
    if (r === null || 'error' in r) {
      const msg = r === null ? `HTTP ${status}: not a watch answer: ${line.slice(0, 200)}` : r.error;
      settle({ reason: 'error', error: new EtcdRequestError(r === null ? 'http' : 'etcd', `POST ${where}: ${msg}`, { url: where, status, etcdMessage: msg }) });
      return;
    }
    if (r.created) {
      clearTimeout(timer);
      markCreated(true);
    }
    spec.onResponse(r);
    if (r.canceled) {
      settle(r.compactRevision !== undefined ? { reason: 'compacted', compactRevision: r.compactRevision } : { reason: 'canceled', message: r.cancelReason ?? 'canceled by etcd' });
    }
  };
  return { done, created, cancel };
}
