// The chaos peer proxy's plain HTTP requests: `POST /raft` pushes and every other exchange, forwarded with their
// delays, drop draws and cuts; a `GET /raft/stream/...` is handed to proxy-stream.ts.
import http from 'node:http';
import type net from 'node:net';
import { openStream } from './proxy-stream.js';
import { classifyPeerRequest, endToEndHeaders, OrderedRelease, type Flow, type ProxyCore } from './proxy-rules.js';

function destination(peers: Map<number, string>, req: http.IncomingMessage): { to: string; port: number; path: string } | undefined {
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

export function onRequest(core: ProxyCore, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { owner, flows, emit, refuse, blocked, count, drops, delayOf, releaseFor, targetHost, agent } = core;
  const method = req.method ?? 'GET';
  const dest = destination(core.peers, req);
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
  if (isBlocked || core.closing) {
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
    releaseFor(to).push(delayOf(owner, to), openStream(core, req, res, to, port, path));
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
