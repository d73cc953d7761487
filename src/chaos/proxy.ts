// The per-member forward proxy of chaos mode (docs/etcd-facts.md#partitions-without-root-a-forward-proxy-on-the-senders-side). The owner member runs with
// HTTP_PROXY=http://127.0.0.1:<port> and advertises peer URLs on host `localhost.`, so every peer request it makes
// arrives here as an absolute-URI request: the source is the owner, the destination is found from the URL's port.
// Each request is mapped to the directed link(s) its payload travels on and refused (503) while one of them is cut.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { LinkRule } from './links.js';
import { dropsMessage, sampleDelay } from './links.js';

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

export function classifyPeerRequest(method: string, path: string): FlowKind {
  if (method === 'GET' && path.startsWith('/raft/stream/')) return 'stream';
  if (method === 'POST' && (path === '/raft' || path === '/raft/snapshot' || path.startsWith('/raft/snapshot/'))) return 'push';
  return 'exchange';
}

/** Whether a flow of this kind between the owner and `peer` is stopped by the current rules. */
export function flowBlocked(kind: FlowKind, owner: string, peer: string, getLink: PeerProxyOptions['getLink']): boolean {
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

function endToEndHeaders(raw: string[]): http.OutgoingHttpHeaders {
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
class OrderedRelease {
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

interface Flow {
  kind: FlowKind;
  to: string;
  method: string;
  path: string;
  /** Tears the flow down; refuses with 503 when nothing has been answered yet. */
  kill(): void;
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
  let closing = false;

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

  function refuse(res: http.ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain', 'x-etcd-lab-proxy': owner });
    res.end(`${message}\n`);
  }

  function destination(req: http.IncomingMessage): { to: string; port: number; path: string } | undefined {
    const target = req.url ?? '';
    let port: number;
    let path: string;
    try {
      // Absolute-URI form is what a client sends to a proxy; origin form (someone calling the proxy directly) uses Host.
      const u = target.startsWith('/') ? new URL(target, `http://${req.headers.host ?? 'invalid'}`) : new URL(target);
      port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      path = `${u.pathname}${u.search}`;
    } catch {
      return undefined;
    }
    const to = peers.get(port);
    return to === undefined ? undefined : { to, port, path };
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const dest = destination(req);
    if (dest === undefined) {
      emit({ type: 'unknown-destination', owner, target: req.url ?? '' });
      req.resume();
      refuse(res, 502, `etcd-lab proxy of ${owner}: no member listens behind ${req.url}`);
      return;
    }
    const { to, port, path } = dest;
    const kind = classifyPeerRequest(method, path);
    const isBlocked = blocked(kind, to);
    count(to, isBlocked);
    if (isBlocked || closing) {
      emit({ type: 'blocked', owner, to, kind, method, path });
      req.resume();
      refuse(res, 503, `etcd-lab: link between ${owner} and ${to} is cut`);
      return;
    }

    // A dropped request vanishes: its connection is reset without an answer, as if the network had lost it.
    // Anything other than a stream or a push carries data both ways, so it meets both directions' rates.
    const droppedOn = drops(owner, to) ? owner : kind === 'exchange' && drops(to, owner) ? to : null;
    if (droppedOn !== null) {
      emit({ type: 'dropped', owner, from: droppedOn, to: droppedOn === owner ? to : owner, kind, method, path });
      req.socket.destroy();
      return;
    }

    if (kind === 'stream') {
      releaseFor(to).push(delayOf(owner, to), openStream(req, res, to, port, path));
      return;
    }

    let upstream: http.ClientRequest | undefined;
    const inbound = new OrderedRelease();
    const flow: Flow = {
      kind,
      to,
      method,
      path,
      kill: () => {
        inbound.clear();
        upstream?.destroy();
        refuse(res, 503, `etcd-lab: link between ${owner} and ${to} is cut`);
      },
    };
    flows.add(flow);
    res.on('close', () => {
      flows.delete(flow);
      inbound.clear();
      if (!res.writableFinished) upstream?.destroy();
    });

    const forward = (): void => {
      if (!flows.has(flow)) return;
      upstream = http.request({
        host: targetHost,
        port,
        method,
        path,
        headers: endToEndHeaders(req.rawHeaders),
        agent,
      });
      upstream.on('socket', (s: net.Socket) => s.setNoDelay(true));
      upstream.on('error', (err) => {
        if (!flows.has(flow)) return;
        emit({ type: 'upstream-error', owner, to, method, path, message: err.message });
        inbound.clear();
        refuse(res, 502, `etcd-lab proxy of ${owner}: ${to} (127.0.0.1:${port}) failed: ${err.message}`);
      });
      upstream.on('response', (up) => {
        const headers = endToEndHeaders(up.rawHeaders);
        inbound.push(delayOf(to, owner), () => {
          res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
          res.flushHeaders();
        });
        up.on('data', (chunk: Buffer) => {
          inbound.push(delayOf(to, owner), () => {
            // Delayed chunks can be refused several times before one drain: wait for it once.
            if (!res.write(chunk) && !up.isPaused()) {
              up.pause();
              res.once('drain', () => up.resume());
            }
          });
        });
        up.on('end', () => inbound.push(0, () => res.end()));
        // The member behind died mid-answer: break this side too, as a real connection would.
        up.on('close', () => {
          if (!up.complete && flows.has(flow)) res.destroy();
        });
        up.on('error', () => undefined);
      });
      req.pipe(upstream);
    };
    releaseFor(to).push(delayOf(owner, to), forward);
  }

  /**
   * A raft stream is one long response, the hot path of every write. It is relayed as raw bytes (etcd's own chunked
   * framing included) from a socket of its own to the owner's socket, so no message is parsed or re-framed here.
   */
  function openStream(req: http.IncomingMessage, res: http.ServerResponse, to: string, port: number, path: string): () => void {
    const client = req.socket;
    const inbound = new OrderedRelease();
    let upstream: net.Socket | undefined;
    let answered = false;
    const flow: Flow = {
      kind: 'stream',
      to,
      method: 'GET',
      path,
      kill: () => {
        inbound.clear();
        upstream?.destroy();
        if (answered) client.destroy();
        else refuse(res, 503, `etcd-lab: link between ${owner} and ${to} is cut`);
      },
    };
    flows.add(flow);
    req.resume();
    client.once('close', () => {
      flows.delete(flow);
      inbound.clear();
      upstream?.destroy();
    });

    return () => {
      if (!flows.has(flow)) return;
      const head = [`GET ${path} HTTP/1.1`];
      for (const [k, v] of Object.entries(endToEndHeaders(req.rawHeaders))) {
        for (const one of Array.isArray(v) ? v : [v]) head.push(`${k}: ${String(one)}`);
      }
      // The upstream closing is how the owner learns the stream ended; keep-alive would hide it.
      head.push('connection: close', '', '');
      const up = net.connect({ host: targetHost, port, noDelay: true });
      upstream = up;
      up.write(head.join('\r\n'));
      up.on('error', (err) => {
        if (!flows.has(flow)) return;
        emit({ type: 'upstream-error', owner, to, method: 'GET', path, message: err.message });
        flows.delete(flow);
        inbound.clear();
        if (answered) client.destroy();
        else refuse(res, 502, `etcd-lab proxy of ${owner}: ${to} (127.0.0.1:${port}) failed: ${err.message}`);
      });
      up.on('data', (chunk: Buffer) => {
        // A stream is one long flow of framed raft messages: losing a chunk breaks it, so a dropped chunk ends
        // the stream (the member reconnects, and meanwhile sends over POST /raft, each meeting the rate again).
        if (drops(to, owner)) {
          if (!flows.has(flow)) return;
          emit({ type: 'dropped', owner, from: to, to: owner, kind: 'stream', method: 'GET', path });
          flows.delete(flow);
          flow.kill();
          return;
        }
        inbound.push(delayOf(to, owner), () => {
          answered = true;
          if (!client.write(chunk) && !up.isPaused()) {
            up.pause();
            client.once('drain', () => up.resume());
          }
        });
      });
      up.on('end', () =>
        inbound.push(0, () => {
          if (answered) client.end();
          else refuse(res, 502, `etcd-lab proxy of ${owner}: ${to} (127.0.0.1:${port}) closed without answering`);
        }),
      );
    };
  }

  function onConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): void {
    const target = req.url ?? '';
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    const to = peers.get(port);
    const answer = (line: string): void => {
      client.end(`HTTP/1.1 ${line}\r\nx-etcd-lab-proxy: ${owner}\r\ncontent-length: 0\r\n\r\n`);
    };
    client.on('error', () => client.destroy());
    if (to === undefined) {
      emit({ type: 'unknown-destination', owner, target });
      answer('502 Bad Gateway');
      return;
    }
    const path = `CONNECT ${target}`;
    const isBlocked = blocked('tunnel', to);
    count(to, isBlocked);
    if (isBlocked || closing) {
      emit({ type: 'blocked', owner, to, kind: 'tunnel', method: 'CONNECT', path });
      answer('503 Service Unavailable');
      return;
    }
    const upstream = net.connect({ host: targetHost, port, noDelay: true });
    const flow: Flow = {
      kind: 'tunnel',
      to,
      method: 'CONNECT',
      path,
      kill: () => {
        upstream.destroy();
        client.destroy();
      },
    };
    flows.add(flow);
    const drop = (): void => {
      flows.delete(flow);
      flow.kill();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.on('error', (err) => {
      emit({ type: 'upstream-error', owner, to, method: 'CONNECT', path, message: err.message });
      if (!upstream.connecting) client.destroy();
      else answer('502 Bad Gateway');
    });
    upstream.on('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const lost = (from: string, dest: string) => (): boolean => {
        if (!drops(from, dest)) return false;
        emit({ type: 'dropped', owner, from, to: dest, kind: 'tunnel', method: 'CONNECT', path });
        drop();
        return true;
      };
      relay(client, upstream, () => delayOf(owner, to), lost(owner, to), head);
      relay(upstream, client, () => delayOf(to, owner), lost(to, owner));
    });
  }

  const server = http.createServer({ noDelay: true, requestTimeout: 0, keepAliveTimeout: 30_000 }, onRequest);
  server.on('connect', onConnect);
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
      closing = true;
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

/**
 * Copies `from` to `to` chunk by chunk, each held by its own sampled delay, in order, with backpressure. `lost` is
 * asked once per chunk; when it says the chunk is dropped it has torn the tunnel down (an encrypted stream cannot
 * skip bytes).
 */
function relay(from: Duplex, to: Duplex, delayMs: () => number, lost: () => boolean, first?: Buffer): void {
  const release = new OrderedRelease();
  const send = (chunk: Buffer): void => {
    if (lost()) return;
    release.push(delayMs(), () => {
      if (!to.destroyed && !to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  };
  if (first !== undefined && first.length > 0) send(first);
  from.on('data', send);
  from.on('end', () => release.push(0, () => to.end()));
  to.on('close', () => release.clear());
}
