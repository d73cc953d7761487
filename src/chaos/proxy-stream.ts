// The chaos peer proxy's raft streams (`GET /raft/stream/...`): relayed as raw bytes, with delays and drop draws
// per chunk.
import type http from 'node:http';
import net from 'node:net';
import { endToEndHeaders, OrderedRelease, type Flow, type ProxyCore } from './proxy-rules.js';

/**
 * A raft stream is one long response, the hot path of every write. It is relayed as raw bytes (etcd's own chunked
 * framing included) from a socket of its own to the owner's socket, so no message is parsed or re-framed here.
 */
export function openStream(core: ProxyCore, req: http.IncomingMessage, res: http.ServerResponse, to: string, port: number, path: string): () => void {
  const { owner, flows, emit, refuse, drops, delayOf, targetHost } = core;
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
