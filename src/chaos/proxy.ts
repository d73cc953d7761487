// The per-member forward proxy of chaos mode (docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side). The owner member runs with
// HTTP_PROXY=http://127.0.0.1:<port> and advertises peer URLs on host `localhost.`, so every peer request it makes
// arrives here as an absolute-URI request: the source is the owner, the destination is found from the URL's port.
// Each request is mapped to the directed link(s) its payload travels on and refused (503) while one of them is cut.
// The handlers per protocol: proxy-http.ts (pushes and exchanges), proxy-stream.ts (raft streams), proxy-tunnel.ts
// (CONNECT, for TLS peers); the rules they share: proxy-rules.ts.
import http from 'node:http';
import type { LinkRule } from './links.js';
import { dropsMessage, sampleDelay } from './links.js';
import { onRequest } from './proxy-http.js';
import { flowBlocked, OrderedRelease, type Flow, type FlowKind, type PeerProxyEvent, type ProxyCore } from './proxy-rules.js';
import { onConnect } from './proxy-tunnel.js';

export type { FlowKind, PeerProxyEvent } from './proxy-rules.js';
export { classifyPeerRequest, flowBlocked } from './proxy-rules.js';

export interface PeerProxyOptions {
  owner: string;
  host: '127.0.0.1';
  /** 0 picks a free port (read it back from `PeerProxy.port`). */
  port: number;
  /** Peer port -> member name. */
  peers: Map<number, string>;
  getLink: (from: string, to: string) => LinkRule;
  onEvent?: (e: PeerProxyEvent) => void;
  /** Where the peers listen; `localhost.` in the URL is never resolved. */
  targetHost?: string;
  /** For delay jitter; Math.random by default. */
  random?: () => number;
  /** For drop decisions (one draw per message on a link with a drop rate); Math.random by default. */
  dropRandom?: () => number;
}

/** Messages of one directed link that met a drop rate decision: relayed or dropped. */
export interface MessageCounts {
  relayed: number;
  dropped: number;
}

export interface PeerProxyStats {
  /** Requests (and tunnels) that arrived for each destination member, blocked ones included. */
  requestsTo: Record<string, number>;
  /** Of those, refused because of a cut. */
  blockedTo: Record<string, number>;
  /** Requests, streams and tunnels in flight. */
  open: number;
  /**
   * Per directed link `from->to`: the messages the proxy relayed or dropped because of the link's drop rate. A message
   * is a request that carries data one way (a `POST /raft` or snapshot, the opening `GET` of a stream, each direction
   * of any other request) or one chunk a stream or tunnel relays. Only counted while the link has a drop rate.
   */
  messages: Record<string, MessageCounts>;
}

export interface PeerProxy {
  readonly port: number;
  readonly owner: string;
  /** Destroys in-flight requests, streams and tunnels that now cross a cut. Call after every rule change. */
  reconcile(): void;
  stats(): PeerProxyStats;
  close(): Promise<void>;
}

export async function startPeerProxy(opts: PeerProxyOptions): Promise<PeerProxy> {
  const { owner, peers, getLink } = opts;
  const targetHost = opts.targetHost ?? '127.0.0.1';
  const random = opts.random ?? Math.random;
  const dropRandom = opts.dropRandom ?? Math.random;
  const emit = (e: PeerProxyEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      /* a listener's failure must not break the data path */
    }
  };
  const flows = new Set<Flow>();
  const requestsTo: Record<string, number> = {};
  const blockedTo: Record<string, number> = {};
  const messages: Record<string, MessageCounts> = {};
  // Per destination, so requests on one link leave in the order they arrived even with jitter.
  const outbound = new Map<string, OrderedRelease>();
  const agent = new http.Agent({ keepAlive: true });

  const delayOf = (from: string, to: string): number => (from === to ? 0 : sampleDelay(getLink(from, to), random));
  const blocked = (kind: FlowKind, to: string): boolean => to !== owner && flowBlocked(kind, owner, to, getLink);
  const count = (to: string, wasBlocked: boolean): void => {
    requestsTo[to] = (requestsTo[to] ?? 0) + 1;
    if (wasBlocked) blockedTo[to] = (blockedTo[to] ?? 0) + 1;
  };
  /** One message from `from` to `to`: drawn against the link's drop rate and counted; true when it is dropped. */
  const drops = (from: string, to: string): boolean => {
    if (from === to) return false;
    const rule = getLink(from, to);
    if (rule.dropPct <= 0) return false;
    const dropped = dropsMessage(rule, dropRandom);
    const c = (messages[`${from}->${to}`] ??= { relayed: 0, dropped: 0 });
    if (dropped) c.dropped++;
    else c.relayed++;
    return dropped;
  };
  const releaseFor = (to: string): OrderedRelease => {
    let r = outbound.get(to);
    if (r === undefined) outbound.set(to, (r = new OrderedRelease()));
    return r;
  };

  const refuse = (res: http.ServerResponse, status: number, message: string): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain', 'x-etcd-lab-proxy': owner });
    res.end(`${message}\n`);
  };
  const core: ProxyCore = { owner, peers, targetHost, agent, flows, closing: false, emit, delayOf, blocked, count, drops, releaseFor, refuse };

  const server = http.createServer({ noDelay: true, requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => onRequest(core, req, res));
  server.on('connect', (req: http.IncomingMessage, client, head: Buffer) => onConnect(core, req, client, head));
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : opts.port;

  return {
    port: boundPort,
    owner,
    reconcile(): void {
      for (const f of [...flows]) {
        if (!blocked(f.kind, f.to)) continue;
        flows.delete(f);
        emit({ type: 'severed', owner, to: f.to, kind: f.kind, method: f.method, path: f.path });
        f.kill();
      }
    },
    stats(): PeerProxyStats {
      return {
        requestsTo: { ...requestsTo },
        blockedTo: { ...blockedTo },
        open: flows.size,
        messages: Object.fromEntries(Object.entries(messages).map(([k, v]) => [k, { ...v }])),
      };
    },
    close(): Promise<void> {
      core.closing = true;
      for (const f of [...flows]) {
        flows.delete(f);
        f.kill();
      }
      for (const r of outbound.values()) r.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      return closed;
    },
  };
}

