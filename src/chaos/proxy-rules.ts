// What the chaos peer proxy (proxy.ts) shares across protocols: which direction a peer request carries its payload, which cut stops
// it, which headers pass, and what the per-protocol handlers (proxy-http.ts, proxy-stream.ts, proxy-tunnel.ts) share.
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LinkRule } from './links.js';

/**
 * - `stream`: `GET /raft/stream/...` from S to D; the responder writes raft messages, so it carries D->S.
 * - `push`: `POST /raft`, `/raft/snapshot`: carries S->D.
 * - `exchange`: anything else (probing, /version, /members, lease forwarding...): needs both directions.
 * - `tunnel`: CONNECT (TLS peers): opaque, so only a cut of both directions stops it.
 */
export type FlowKind = 'stream' | 'push' | 'exchange' | 'tunnel';

export type PeerProxyEvent =
  | { type: 'blocked'; owner: string; to: string; kind: FlowKind; method: string; path: string }
  | { type: 'dropped'; owner: string; from: string; to: string; kind: FlowKind; method: string; path: string }
  | { type: 'severed'; owner: string; to: string; kind: FlowKind; method: string; path: string }
  | { type: 'unknown-destination'; owner: string; target: string }
  | { type: 'upstream-error'; owner: string; to: string; method: string; path: string; message: string };

/** Everything the proxy's handlers share: the owner, the rules, the open flows, the counters. */
export interface ProxyCore {
  owner: string;
  /** Peer port -> member name. */
  peers: Map<number, string>;
  targetHost: string;
  agent: http.Agent;
  flows: Set<Flow>;
  /** Set once close() began: every new flow is refused. */
  closing: boolean;
  emit(e: PeerProxyEvent): void;
  /** The sampled delay of one message from `from` to `to`. */
  delayOf(from: string, to: string): number;
  /** Whether a flow of `kind` between the owner and `to` is cut now. */
  blocked(kind: FlowKind, to: string): boolean;
  count(to: string, wasBlocked: boolean): void;
  /** One message from `from` to `to`: drawn against the link's drop rate and counted; true when it is dropped. */
  drops(from: string, to: string): boolean;
  /** Per destination, so requests on one link leave in the order they arrived even with jitter. */
  releaseFor(to: string): OrderedRelease;
  refuse(res: http.ServerResponse, status: number, message: string): void;
}

export function classifyPeerRequest(method: string, path: string): FlowKind {
  if (method === 'GET' && path.startsWith('/raft/stream/')) return 'stream';
  if (method === 'POST' && (path === '/raft' || path === '/raft/snapshot' || path.startsWith('/raft/snapshot/'))) return 'push';
  return 'exchange';
}

/** Whether a flow of this kind between the owner and `peer` is stopped by the current rules. */
export function flowBlocked(kind: FlowKind, owner: string, peer: string, getLink: (from: string, to: string) => LinkRule): boolean {
  const out = getLink(owner, peer).cut;
  const back = getLink(peer, owner).cut;
  switch (kind) {
    case 'stream':
      return back;
    case 'push':
      return out;
    case 'exchange':
      return out || back;
    case 'tunnel':
      return out && back;
  }
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function endToEndHeaders(raw: string[]): http.OutgoingHttpHeaders {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') for (const t of raw[i + 1].split(',')) named.add(t.trim().toLowerCase());
  }
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(k) || named.has(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? raw[i + 1] : [...(Array.isArray(prev) ? prev : [prev]), raw[i + 1]];
  }
  return out;
}

/** Runs callbacks no earlier than their release time and strictly in the order they were pushed. */
export class OrderedRelease {
  private queue: { at: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  push(delayMs: number, run: () => void): void {
    const now = performance.now();
    const at = Math.max(now + delayMs, this.last);
    this.last = at;
    if (this.queue.length === 0 && at <= now) {
      run();
      return;
    }
    this.queue.push({ at, run });
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private arm(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0].at <= now) this.queue.shift()!.run();
      this.arm();
    }, Math.max(0, Math.ceil(this.queue[0].at - performance.now())));
  }
}

export interface Flow {
  kind: FlowKind;
  to: string;
  method: string;
  path: string;
  /** Tears the flow down; refuses with 503 when nothing has been answered yet. */
  kill(): void;
}
