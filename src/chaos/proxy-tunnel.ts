// The chaos peer proxy's CONNECT tunnels (peers over TLS): opaque bytes, so only a cut of both directions stops one;
// delays and drop draws apply per chunk.
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { OrderedRelease, type Flow, type ProxyCore } from './proxy-rules.js';

export function onConnect(core: ProxyCore, req: http.IncomingMessage, client: Duplex, head: Buffer): void {
  const { owner, peers, flows, emit, blocked, count, drops, delayOf, targetHost } = core;
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
  if (isBlocked || core.closing) {
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
