// The peer proxy against plain Node servers standing in for etcd peers: routing, direction rules, streaming,
// reconcile, delay ordering, CONNECT. Fast and deterministic; test/e2e/proxy.test.ts runs the real thing, and
// test/unit/chaos/proxy-rules.test.ts the pure classification.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { claimPorts } from '../helpers/ports.js';
import { startPeerProxy, type PeerProxy, type PeerProxyEvent } from '../../src/chaos/proxy.js';
import { cut, delay, drop, emptyLinks, heal, isolate, link, type LinkTable } from '../../src/chaos/links.js';

const NAMES = ['m1', 'm2', 'm3'];

describe('peer proxy over plain HTTP servers', () => {
  let base: number;
  let links: LinkTable = emptyLinks(NAMES);
  let proxy: PeerProxy;
  const events: PeerProxyEvent[] = [];
  const peers: http.Server[] = [];
  const openStreams: http.ServerResponse[] = [];
  const seen: { peer: string; method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  /** The drop decisions' draws, in order; 0.99 (below no rate up to 99%) when the queue is empty. */
  const draws: number[] = [];

  const peerPort = (name: string) => base + NAMES.indexOf(name);

  before(async () => {
    base = await claimPorts();
    for (const name of NAMES) {
      const s = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          seen.push({ peer: name, method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
          if (req.url!.startsWith('/raft/stream/')) {
            res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-server-from': name });
            res.flushHeaders();
            openStreams.push(res);
          } else if (req.method === 'POST') {
            res.writeHead(204, { 'x-got': String(Buffer.concat(chunks).length) });
            res.end();
          } else {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(`${name} says hi`);
          }
        });
      });
      s.listen(peerPort(name), '127.0.0.1');
      await once(s, 'listening');
      peers.push(s);
    }
    proxy = await startPeerProxy({
      owner: 'm1',
      host: '127.0.0.1',
      port: base + 10,
      peers: new Map(NAMES.map((n) => [peerPort(n), n])),
      getLink: (f, d) => link(links, f, d),
      onEvent: (e) => events.push(e),
      dropRandom: () => draws.shift() ?? 0.99,
    });
  });

  after(async () => {
    await proxy?.close();
    for (const r of openStreams) r.destroy();
    for (const s of peers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  function setLinks(t: LinkTable): void {
    links = t;
    proxy.reconcile();
  }

  /** Sends a request through the proxy as Go's HTTP_PROXY client does: absolute URI, Host = the peer URL's host. */
  function viaProxy(
    method: string,
    to: string | number,
    path: string,
    opts: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<http.IncomingMessage> {
    const port = typeof to === 'number' ? to : peerPort(to);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: proxy.port,
        method,
        path: `http://localhost.:${port}${path}`,
        headers: { host: `localhost.:${port}`, ...opts.headers },
        agent: false,
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  async function text(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString();
  }

  function nextChunk(res: http.IncomingMessage, timeoutMs = 1000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no chunk in time')), timeoutMs);
      res.once('data', (c: Buffer) => {
        clearTimeout(timer);
        resolve(c.toString());
      });
    });
  }

  function closed(res: http.IncomingMessage, timeoutMs = 1000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stream still open')), timeoutMs);
      res.on('error', () => undefined);
      res.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      res.resume();
    });
  }

  it('forwards method, path, body and end-to-end headers; drops hop-by-hop ones; counts per destination', async () => {
    seen.length = 0;
    const res = await viaProxy('POST', 'm2', '/raft?x=1', {
      body: 'hello raft',
      headers: { 'x-server-from': 'abc', 'proxy-authorization': 'secret', connection: 'keep-alive, x-drop-me', 'x-drop-me': '1' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['x-got'], '10');
    await text(res);
    const got = seen.find((s) => s.url === '/raft?x=1');
    assert.ok(got, 'the peer did not see the request');
    assert.equal(got.peer, 'm2');
    assert.equal(got.method, 'POST');
    assert.equal(got.body, 'hello raft');
    assert.equal(got.headers['x-server-from'], 'abc');
    assert.equal(got.headers['proxy-authorization'], undefined);
    assert.equal(got.headers['x-drop-me'], undefined);
    assert.equal(proxy.stats().requestsTo.m2, 1);
    const r3 = await viaProxy('GET', 'm3', '/version');
    assert.equal(await text(r3), 'm3 says hi');
    assert.equal(proxy.stats().requestsTo.m3, 1);
  });

  it('answers 502 for a port that is no member, with an event', async () => {
    const res = await viaProxy('GET', base + 50, '/version');
    assert.equal(res.statusCode, 502);
    await text(res);
    assert.ok(events.some((e) => e.type === 'unknown-destination' && e.target.includes(`:${base + 50}/version`)));
  });

  it('streams responses chunk by chunk without buffering', async () => {
    openStreams.length = 0;
    const res = await viaProxy('GET', 'm2', '/raft/stream/msgapp/1');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-server-from'], 'm2');
    assert.equal(openStreams.length, 1);
    for (const word of ['one', 'two', 'three']) {
      const next = nextChunk(res, 500);
      openStreams[0].write(word);
      assert.equal(await next, word);
    }
    assert.equal(proxy.stats().open, 1);
    openStreams[0].end();
    await text(res);
  });

  it('applies the direction rules to new requests', async () => {
    // m2 -> m1 cut: m1's stream from m2 (carries m2->m1) and exchanges are refused, m1's pushes to m2 pass.
    setLinks(cut(emptyLinks(NAMES), 'm2', 'm1'));
    const before = proxy.stats().blockedTo.m2 ?? 0;
    const stream = await viaProxy('GET', 'm2', '/raft/stream/message/1');
    assert.equal(stream.statusCode, 503);
    await text(stream);
    const probe = await viaProxy('GET', 'm2', '/raft/probing');
    assert.equal(probe.statusCode, 503);
    await text(probe);
    const push = await viaProxy('POST', 'm2', '/raft', { body: 'x' });
    assert.equal(push.statusCode, 204);
    await text(push);
    assert.equal(proxy.stats().blockedTo.m2, before + 2);
    assert.ok(events.some((e) => e.type === 'blocked' && e.to === 'm2' && e.kind === 'stream'));
    // m1 -> m3 cut: pushes to m3 refused, the stream from m3 passes.
    setLinks(cut(emptyLinks(NAMES), 'm1', 'm3'));
    const push3 = await viaProxy('POST', 'm3', '/raft', { body: 'x' });
    assert.equal(push3.statusCode, 503);
    await text(push3);
    openStreams.length = 0;
    const stream3 = await viaProxy('GET', 'm3', '/raft/stream/msgapp/1');
    assert.equal(stream3.statusCode, 200);
    openStreams[0].end();
    await text(stream3);
    setLinks(heal(links));
  });

  it('reconcile severs open streams that now cross a cut, and only those', async () => {
    openStreams.length = 0;
    const s2 = await viaProxy('GET', 'm2', '/raft/stream/msgapp/1');
    const s3 = await viaProxy('GET', 'm3', '/raft/stream/msgapp/1');
    assert.equal(proxy.stats().open, 2);
    const severed = closed(s2);
    setLinks(cut(emptyLinks(NAMES), 'm1', 'm3')); // does not touch m3 -> m1, which s3 carries
    setLinks(cut(links, 'm2', 'm1'));
    await severed;
    assert.ok(events.some((e) => e.type === 'severed' && e.to === 'm2' && e.kind === 'stream'));
    const next = nextChunk(s3, 500);
    openStreams[1].write('still here');
    assert.equal(await next, 'still here');
    const s3closed = closed(s3);
    setLinks(isolate(links, 'm1'));
    await s3closed;
    assert.equal(proxy.stats().open, 0);
    setLinks(heal(links));
    const again = await viaProxy('GET', 'm2', '/raft/probing');
    assert.equal(again.statusCode, 200, 'heal did not reopen the link');
    await text(again);
  });

  it('delays requests one way and stream chunks the other way, keeping order under jitter', async () => {
    setLinks(delay(delay(emptyLinks(NAMES), { from: 'm1', to: 'm2' }, 150), { from: 'm2', to: 'm1' }, 60, 40));
    openStreams.length = 0;
    const t0 = performance.now();
    const res = await viaProxy('GET', 'm2', '/raft/stream/msgapp/1');
    const headAfter = performance.now() - t0;
    assert.ok(headAfter >= 150 + 20 - 5, `stream head came after ${headAfter} ms, expected >= 150 out + 20 back`);
    const words = Array.from({ length: 20 }, (_, i) => `w${i};`);
    let got = '';
    res.on('data', (c: Buffer) => (got += c.toString()));
    const t1 = performance.now();
    for (const w of words) openStreams[0].write(w);
    const deadline = Date.now() + 2000;
    while (got.length < words.join('').length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const took = performance.now() - t1;
    assert.equal(got, words.join(''), 'chunks lost or reordered');
    assert.ok(took >= 20 - 5, `chunks arrived after ${took} ms, expected >= the smallest delay of 20 ms`);
    openStreams[0].end();
    await text(res);
    setLinks(heal(links));
  });

  it('tunnels CONNECT and cuts a tunnel only when both directions are cut', async () => {
    const connect = (): Promise<{ status: string; socket: net.Socket }> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'CONNECT', path: `localhost.:${peerPort('m3')}`, agent: false });
        req.on('connect', (res, socket) => resolve({ status: String(res.statusCode), socket }));
        req.on('response', (res) => resolve({ status: String(res.statusCode), socket: res.socket }));
        req.on('error', reject);
        req.end();
      });
    setLinks(cut(emptyLinks(NAMES), 'm1', 'm3'));
    const t = await connect();
    assert.equal(t.status, '200');
    t.socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    const [answer] = (await once(t.socket, 'data')) as [Buffer];
    assert.match(answer.toString(), /m3 says hi/);
    const gone = once(t.socket, 'close');
    setLinks(cut(links, 'm3', 'm1'));
    await gone;
    const refused = await connect();
    assert.equal(refused.status, '503');
    refused.socket.destroy();
    setLinks(heal(links));
  });

  it('relays a stream as raw bytes: end-to-end headers pass, a peer that is down gets 502, a peer dying mid-stream breaks it', async () => {
    seen.length = 0;
    openStreams.length = 0;
    const res = await viaProxy('GET', 'm3', '/raft/stream/message/1', { headers: { 'x-etcd-cluster-id': 'c1', 'proxy-authorization': 'secret' } });
    assert.equal(res.statusCode, 200);
    const got = seen.find((s) => s.url === '/raft/stream/message/1');
    assert.equal(got?.headers['x-etcd-cluster-id'], 'c1');
    assert.equal(got?.headers['proxy-authorization'], undefined);
    const broken = closed(res);
    openStreams[0].destroy();
    await broken;
    assert.equal(res.complete, false, 'a stream cut by the peer must not look finished');

    const m3 = peers[NAMES.indexOf('m3')]!;
    m3.closeAllConnections();
    await new Promise((r) => m3.close(r));
    try {
      const down = await viaProxy('GET', 'm3', '/raft/stream/msgapp/1');
      assert.equal(down.statusCode, 502);
      assert.match(await text(down), /m3 .* failed/);
      assert.ok(events.some((e) => e.type === 'upstream-error' && e.to === 'm3' && e.path === '/raft/stream/msgapp/1'));
      assert.equal(proxy.stats().open, 0);
    } finally {
      m3.listen(peerPort('m3'), '127.0.0.1');
      await once(m3, 'listening');
    }
  });

  it('drop: a dropped POST /raft is reset unanswered and never reaches the peer; each draw is counted on its link', async () => {
    setLinks(drop(emptyLinks(NAMES), { from: 'm1', to: 'm2' }, 50));
    seen.length = 0;
    draws.push(0.1, 0.9); // the first message is dropped (0.1 * 100 < 50), the second relayed
    await assert.rejects(viaProxy('POST', 'm2', '/raft', { body: 'lost' }), /socket hang up|ECONNRESET/);
    const res = await viaProxy('POST', 'm2', '/raft', { body: 'kept' });
    assert.equal(res.statusCode, 204);
    await text(res);
    assert.deepEqual(seen.map((x) => x.body), ['kept']);
    assert.deepEqual(proxy.stats().messages['m1->m2'], { relayed: 1, dropped: 1 });
    assert.ok(events.some((e) => e.type === 'dropped' && e.from === 'm1' && e.to === 'm2' && e.kind === 'push'));
    // An open link draws nothing and counts nothing.
    const r3 = await viaProxy('POST', 'm3', '/raft', { body: 'open' });
    await text(r3);
    assert.equal(proxy.stats().messages['m1->m3'], undefined);
    setLinks(heal(links));
  });

  it('drop: a dropped stream chunk ends the stream (framed messages cannot be skipped)', async () => {
    setLinks(drop(emptyLinks(NAMES), { from: 'm2', to: 'm1' }, 50));
    openStreams.length = 0;
    // The GET goes m1->m2: no rate there, no draw. Every chunk back is a draw: the response head, 'one', 'two'.
    draws.push(0.9, 0.9, 0.2);
    const res = await viaProxy('GET', 'm2', '/raft/stream/message/1');
    assert.equal(res.statusCode, 200);
    const first = nextChunk(res, 500);
    openStreams[0]!.write('one');
    assert.equal(await first, 'one');
    const gone = closed(res);
    openStreams[0]!.write('two');
    await gone;
    assert.deepEqual(proxy.stats().messages['m2->m1'], { relayed: 2, dropped: 1 });
    setLinks(heal(links));
  });

  it('close() ends open streams and stops listening', async () => {
    openStreams.length = 0;
    const s = await viaProxy('GET', 'm2', '/raft/stream/msgapp/1');
    const done = closed(s);
    await proxy.close();
    await done;
    await assert.rejects(viaProxy('GET', 'm2', '/version'), /ECONNREFUSED/);
  });
});
