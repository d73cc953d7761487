// A small client for etcd's HTTP/JSON gRPC gateway (v3 API), bounded in time on every call.
// node:http rather than fetch: client certificates are needed for TLS members.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { LabError } from '../errors.js';
import { b64, decimalToHexId, gatewayError, header, hexIdToDecimal, type Json, prefixRangeEnd, snippet, str, strings, toMember, tryParse, unb64 } from './gateway-json.js';
import { EtcdRequestError } from './request-error.js';
import { send, type RawAnswer } from './transport.js';
import { openWatch, type WatchHandle, type WatchRequest, type WatchResponse } from './watch.js';

export { EtcdRequestError, isEtcdRequestError, type EtcdErrorKind } from './request-error.js';

export const DEFAULT_TIMEOUT_MS = 1500;

export interface EtcdTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface EtcdClientOptions {
  /** Bound on every call (connect, request, full response), in ms. Default 1500. */
  timeoutMs?: number;
  tls?: EtcdTlsOptions;
  /**
   * Reach the member through this unix socket (e.g. a relay inside its network namespace) instead of a TCP
   * connection from here. The URL still names the member: HTTPS verifies its certificate against the URL's host.
   */
  socketPath?: string;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface EtcdStatus {
  memberId: string;
  clusterId: string;
  /** Hex ID of the leader this member knows, null when it knows none. */
  leader: string | null;
  raftTerm: string;
  raftIndex: string;
  raftAppliedIndex: string;
  /** header.revision: the store's revision as this member sees it. */
  revision: string;
  dbSize: number;
  version: string;
  isLearner: boolean;
  /** e.g. ["etcdserver: no leader"]; empty when none. */
  errors: string[];
}

export interface EtcdHealth {
  healthy: boolean;
  /** Given by 3.5+ (e.g. "RAFT NO LEADER"); 3.4 gives none. */
  reason?: string;
}

export interface EtcdMember {
  id: string;
  /** Empty until the member has started and published its name. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EtcdKv {
  key: string;
  value: string;
  modRevision: string;
}

/** One comparison of a txn: the key's value equals `value`, or its create revision equals `createRevision` ("0": absent). */
export type TxnCompare = { key: string; value: string } | { key: string; createRevision: string };

export interface PeerVersion {
  etcdserver: string;
  /** "not_decided" while the cluster bootstraps. */
  etcdcluster: string;
}

export class EtcdClient {
  readonly endpoint: string;
  readonly timeoutMs: number;
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(endpoint: string, opts: EtcdClientOptions = {}) {
    let base: URL;
    try {
      base = new URL(endpoint);
    } catch {
      throw new LabError('USAGE', `"${endpoint}" is not a URL`, { hint: 'give a client URL like http://127.0.0.1:2379' });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new LabError('USAGE', `"${endpoint}" is not an http(s) URL`, {
        hint: 'give a client URL like http://127.0.0.1:2379',
      });
    }
    this.endpoint = endpoint;
    this.base = base;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.agent =
      base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key })
        : new http.Agent({ keepAlive: true });
    const socketPath = opts.socketPath;
    if (socketPath !== undefined) {
      const agent = this.agent as http.Agent & { createConnection: (o: object, cb?: unknown) => net.Socket };
      agent.createConnection =
        base.protocol === 'https:'
          ? (o: object) => tls.connect({ ...(o as tls.ConnectionOptions), socket: net.connect(socketPath) })
          : () => net.connect(socketPath);
    }
  }

  /** `POST /v3/maintenance/status`. A member without a leader may not answer at all: expect `timeout`. */
  async status(opts?: CallOptions): Promise<EtcdStatus> {
    const b = await this.post('/v3/maintenance/status', {}, opts, true);
    const h = header(b);
    const leader = decimalToHexId(b.leader);
    return {
      memberId: decimalToHexId(h.member_id),
      clusterId: decimalToHexId(h.cluster_id),
      leader: leader === '0' ? null : leader,
      raftTerm: str(b.raftTerm ?? h.raft_term),
      raftIndex: str(b.raftIndex),
      raftAppliedIndex: str(b.raftAppliedIndex),
      revision: str(h.revision),
      dbSize: Number(b.dbSize ?? 0),
      version: str(b.version, ''),
      isLearner: b.isLearner === true,
      errors: strings(b.errors),
    };
  }

  /** `GET /health`: an unhealthy member answers 503 with `{"health":"false"}`, which is an answer, not an error. */
  async health(opts?: CallOptions): Promise<EtcdHealth> {
    const url = this.url('/health');
    const raw = await this.send(url, 'GET', undefined, opts, true);
    const body = tryParse(raw.text) as Json | undefined;
    if (!body || typeof body !== 'object' || !('health' in body)) {
      throw new EtcdRequestError('http', `GET ${url.href}: HTTP ${raw.status}, not an etcd health answer: ${snippet(raw.text)}`, {
        url: url.href,
        status: raw.status,
      });
    }
    const healthy = body.health === true || body.health === 'true';
    const reason = typeof body.reason === 'string' && body.reason !== '' ? body.reason : undefined;
    return reason === undefined ? { healthy } : { healthy, reason };
  }

  /** `GET /version` on the client port: the member's server version and the cluster version it knows. */
  async version(opts?: CallOptions): Promise<PeerVersion> {
    const url = this.url('/version');
    const raw = await this.send(url, 'GET', undefined, opts, true);
    const body = tryParse(raw.text) as Json | undefined;
    if (raw.status !== 200 || !body || typeof body.etcdserver !== 'string') {
      throw new EtcdRequestError('http', `GET ${url.href}: HTTP ${raw.status}, not an etcd version answer: ${snippet(raw.text)}`, {
        url: url.href,
        status: raw.status,
      });
    }
    return { etcdserver: body.etcdserver, etcdcluster: str(body.etcdcluster, '') };
  }

  async memberList(opts?: CallOptions): Promise<EtcdMember[]> {
    const b = await this.post('/v3/cluster/member/list', {}, opts, true);
    return (Array.isArray(b.members) ? b.members : []).map(toMember);
  }

  /** Adds a member (not yet started: its name is empty). Returns it and the new member list. */
  async memberAdd(peerURLs: string[], isLearner = false, opts?: CallOptions): Promise<{ member: EtcdMember; members: EtcdMember[] }> {
    const b = await this.post('/v3/cluster/member/add', { peerURLs, isLearner }, opts, false);
    return {
      member: toMember(b.member),
      members: (Array.isArray(b.members) ? b.members : []).map(toMember),
    };
  }

  /** Removes the member with this hex ID; returns the remaining members. */
  async memberRemove(id: string, opts?: CallOptions): Promise<EtcdMember[]> {
    const b = await this.post('/v3/cluster/member/remove', { ID: hexIdToDecimal(id) }, opts, false);
    return (Array.isArray(b.members) ? b.members : []).map(toMember);
  }

  /** Promotes a learner (fails with an etcd error until the learner has caught up). Returns the members. */
  async memberPromote(id: string, opts?: CallOptions): Promise<EtcdMember[]> {
    const b = await this.post('/v3/cluster/member/promote', { ID: hexIdToDecimal(id) }, opts, false);
    return (Array.isArray(b.members) ? b.members : []).map(toMember);
  }

  /** Changes the peer URLs of the member with this hex ID (it keeps its ID and data). Returns the members. */
  async memberUpdate(id: string, peerURLs: string[], opts?: CallOptions): Promise<EtcdMember[]> {
    const b = await this.post('/v3/cluster/member/update', { ID: hexIdToDecimal(id), peerURLs }, opts, false);
    return (Array.isArray(b.members) ? b.members : []).map(toMember);
  }

  async put(key: string, value: string, opts?: CallOptions): Promise<{ revision: string }> {
    const b = await this.post('/v3/kv/put', { key: b64(key), value: b64(value) }, opts, false);
    return { revision: str(header(b).revision) };
  }

  /**
   * `POST /v3/kv/txn`: if every comparison holds (EQUAL), put every pair, as one revision. The gateway leaves
   * `succeeded` out when it is false.
   */
  async txn(compares: TxnCompare[], puts: { key: string; value: string }[], opts?: CallOptions): Promise<{ succeeded: boolean; revision: string }> {
    const compare = compares.map((c) =>
      'value' in c
        ? { key: b64(c.key), target: 'VALUE', result: 'EQUAL', value: b64(c.value) }
        : { key: b64(c.key), target: 'CREATE', result: 'EQUAL', create_revision: c.createRevision },
    );
    const success = puts.map((p) => ({ request_put: { key: b64(p.key), value: b64(p.value) } }));
    const b = await this.post('/v3/kv/txn', { compare, success }, opts, false);
    return { succeeded: b.succeeded === true, revision: str(header(b).revision) };
  }

  /**
   * `POST /v3/watch`, streamed: every key with this prefix from `startRevision` on. See watch.ts; the caller
   * cancels the handle (or aborts its signal).
   */
  watch(req: WatchRequest, onResponse: (r: WatchResponse) => void, opts?: { signal?: AbortSignal; timeoutMs?: number }): WatchHandle {
    return openWatch({ url: this.url('/v3/watch'), agent: this.agent, timeoutMs: opts?.timeoutMs ?? this.timeoutMs, req, onResponse, ...(opts?.signal ? { signal: opts.signal } : {}) });
  }

  /** Reads one key. `serializable` reads this member's local copy (answers without a leader). */
  async get(
    key: string,
    getOpts: { serializable?: boolean } & CallOptions = {},
  ): Promise<{ value: string | null; modRevision: string | null; revision: string }> {
    const req: Json = { key: b64(key) };
    if (getOpts.serializable) req.serializable = true;
    const b = await this.post('/v3/kv/range', req, getOpts, true);
    const kv = Array.isArray(b.kvs) && b.kvs.length > 0 ? (b.kvs[0] as Json) : undefined;
    return {
      value: kv ? unb64(kv.value) : null,
      modRevision: kv ? str(kv.mod_revision) : null,
      revision: str(header(b).revision),
    };
  }

  /** Every key starting with `prefix` (all keys for ''), in key order. `serializable`: this member's local copy. */
  async range(prefix: string, opts?: { serializable?: boolean } & CallOptions): Promise<{ kvs: EtcdKv[]; revision: string }> {
    const start = prefix === '' ? Buffer.from([0]) : Buffer.from(prefix, 'utf8');
    const req: Json = { key: start.toString('base64'), range_end: prefixRangeEnd(prefix).toString('base64') };
    if (opts?.serializable) req.serializable = true;
    const b = await this.post('/v3/kv/range', req, opts, true);
    const kvs = (Array.isArray(b.kvs) ? b.kvs : []).map((kv) => {
      const o = kv as Json;
      return { key: unb64(o.key), value: unb64(o.value), modRevision: str(o.mod_revision) };
    });
    return { kvs, revision: str(header(b).revision) };
  }

  /** `GET /metrics`: etcd's Prometheus text (parse it with etcd/metrics.ts). Throws `http` on a non-200 answer. */
  async metricsText(opts?: CallOptions): Promise<string> {
    const url = this.url('/metrics');
    const raw = await this.send(url, 'GET', undefined, opts, true);
    if (raw.status !== 200) {
      throw new EtcdRequestError('http', `GET ${url.href}: HTTP ${raw.status}: ${snippet(raw.text) || '(empty body)'}`, { url: url.href, status: raw.status });
    }
    return raw.text;
  }

  /** `POST /v3/maintenance/hash`: hash of this member's whole backend (compare members at equal revision). */
  async hash(opts?: CallOptions): Promise<{ hash: string; revision: string }> {
    const b = await this.post('/v3/maintenance/hash', {}, opts, true);
    return { hash: str(b.hash), revision: str(header(b).revision) };
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * `GET <peerURL>/version` on a member's peer port; null when there is no HTTP answer (not listening yet,
   * not serving yet, or paused). Throws EtcdRequestError `http` when something else answers.
   */
  static async peerVersion(peerURL: string, timeoutMs = DEFAULT_TIMEOUT_MS, opts: { tls?: EtcdTlsOptions; signal?: AbortSignal } = {}): Promise<PeerVersion | null> {
    const url = new URL('version', peerURL.endsWith('/') ? peerURL : `${peerURL}/`);
    let raw: RawAnswer;
    try {
      raw = await send({ url, method: 'GET', agent: false, tls: opts.tls, timeoutMs, signal: opts.signal, retryStale: false });
    } catch (e) {
      if (e instanceof EtcdRequestError && e.noAnswer) return null;
      throw e;
    }
    const body = tryParse(raw.text) as Json | undefined;
    if (raw.status !== 200 || !body || typeof body.etcdserver !== 'string') {
      throw new EtcdRequestError('http', `GET ${url.href}: HTTP ${raw.status}, not an etcd peer answer: ${snippet(raw.text)}`, {
        url: url.href,
        status: raw.status,
      });
    }
    return { etcdserver: body.etcdserver, etcdcluster: str(body.etcdcluster, '') };
  }

  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
  }

  private send(url: URL, method: 'GET' | 'POST', body: string | undefined, opts: CallOptions | undefined, idempotent: boolean): Promise<RawAnswer> {
    return send({
      url,
      method,
      body,
      agent: this.agent,
      timeoutMs: opts?.timeoutMs ?? this.timeoutMs,
      signal: opts?.signal,
      retryStale: idempotent,
    });
  }

  private async post(path: string, payload: Json, opts: CallOptions | undefined, idempotent: boolean): Promise<Json> {
    const url = this.url(path);
    const raw = await this.send(url, 'POST', JSON.stringify(payload), opts, idempotent);
    const body = tryParse(raw.text);
    const err = gatewayError(body);
    if (err) {
      throw new EtcdRequestError('etcd', `POST ${url.href}: ${err.message}`, {
        url: url.href,
        status: raw.status,
        etcdMessage: err.message,
        grpcCode: err.code,
      });
    }
    if (raw.status !== 200 || typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new EtcdRequestError('http', `POST ${url.href}: HTTP ${raw.status}: ${snippet(raw.text) || '(empty body)'}`, {
        url: url.href,
        status: raw.status,
      });
    }
    return body as Json;
  }
}
