import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as lib from '../../../src/index.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a refused request is an EtcdRequestError, a LabError with code ETCD_REQUEST and a hint, exported by the library', async () => {
  const port = await closedPort();
  const c = new lib.EtcdClient(`http://127.0.0.1:${port}`, { timeoutMs: 1000 });
  try {
    const e = await c.status().then(
      () => assert.fail('status of a closed port answered'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof lib.EtcdRequestError);
    assert.ok(e instanceof lib.LabError);
    assert.ok(lib.isEtcdRequestError(e));
    assert.equal(e.code, 'ETCD_REQUEST');
    assert.equal(e.kind, 'refused');
    assert.equal(e.exitCode, lib.EXIT.failure);
    assert.match(e.hint ?? '', /is the member at http:\/\/127\.0\.0\.1:\d+ running\?/);
  } finally {
    c.close();
  }
});
