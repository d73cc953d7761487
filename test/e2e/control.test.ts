import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LabError } from '../../src/errors.js';
import { connectControl } from '../../src/supervisor/control-client.js';
import { startControlServer } from '../../src/supervisor/control-server.js';
import { socketAddress, type ControlEvent, type ControlHandler } from '../../src/supervisor/control.js';
import { statePaths } from '../../src/supervisor/state-dir.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-ctl-')));
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  const dir = join(base, `d${++n}`);
  mkdirSync(dir);
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function labError(code: string, check: (e: LabError) => boolean = () => true) {
  return (e: unknown) => e instanceof LabError && e.code === code && check(e);
}

test('request round trip, error mapping and unknown ops', async () => {
  const dir = freshDir();
  const handlers: Record<string, ControlHandler> = {
    echo: async (args) => ({ got: args }),
    big: async () => ({ id: 12345678901234567890n }),
    nothing: async () => undefined,
    fail: async () => {
      throw new LabError('UNKNOWN_MEMBER', 'no member "m9" in this cluster', { hint: 'members are m1, m2, m3', details: ['line a'] });
    },
    crash: async () => {
      throw new Error('boom');
    },
    slow: () => sleep(300).then(() => 'late'),
  };
  const server = await startControlServer(statePaths(dir).sock, handlers);
  const client = await connectControl(dir);
  try {
    assert.deepEqual(await client.request('echo', { member: 'm1', n: 2 }), { got: { member: 'm1', n: 2 } });
    assert.deepEqual(await client.request('echo'), { got: {} });
    assert.deepEqual(await client.request('big'), { id: '12345678901234567890' });
    assert.equal(await client.request('nothing'), null);
    // Concurrent requests on one connection are matched by id.
    const [a, b] = await Promise.all([client.request('slow'), client.request('echo', { x: 1 })]);
    assert.equal(a, 'late');
    assert.deepEqual(b, { got: { x: 1 } });

    await assert.rejects(
      client.request('fail'),
      labError('UNKNOWN_MEMBER', (e) => e.message === 'no member "m9" in this cluster' && e.hint === 'members are m1, m2, m3' && e.details[0] === 'line a' && e.exitCode === 2),
    );
    await assert.rejects(client.request('crash'), labError('INTERNAL', (e) => e.message === 'boom'));
    await assert.rejects(client.request('toString'), labError('CONTROL', (e) => e.message.includes('"toString"')));
    await assert.rejects(client.request('slow', {}, 50), labError('CONTROL', (e) => e.message.includes('did not answer "slow"')));
    // The connection still works after a timeout, and the late answer is ignored.
    await sleep(300);
    assert.deepEqual(await client.request('echo', { y: 2 }), { got: { y: 2 } });
  } finally {
    client.close();
    await server.close();
  }
  assert.equal(existsSync(statePaths(dir).sock), false, 'close() removes the socket file');
  await assert.rejects(client.request('echo'), labError('CONTROL'));
});

test('the socket is 0600 from the start, and the umask is left as it was', async () => {
  const dir = freshDir();
  const original = process.umask(0o022);
  const server = await startControlServer(statePaths(dir).sock, {});
  try {
    assert.equal(statSync(statePaths(dir).sock).mode & 0o777, 0o600);
    assert.equal(process.umask(original), 0o022, 'umask restored');
  } finally {
    process.umask(original);
    await server.close();
  }
});

test('streaming: events until the client closes, then the handler sees the close', async () => {
  const dir = freshDir();
  let closed = false;
  let sent = 0;
  const server = await startControlServer(statePaths(dir).sock, {
    logs: (args, ctx) =>
      new Promise((resolve) => {
        const timer = setInterval(() => ctx.send({ event: 'line', member: args.member, text: `line ${++sent}` }), 5);
        ctx.onClose(() => {
          clearInterval(timer);
          closed = true;
          resolve(null);
        });
      }),
    finite: async (_args, ctx) => {
      ctx.send({ event: 'line', member: 'm1', text: 'only' });
      return { lines: 1 };
    },
    broken: async (_args, ctx) => {
      ctx.send({ event: 'line', member: 'm1', text: 'first' });
      throw new LabError('NOT_READY', 'm1 is not running');
    },
  });
  const client = await connectControl(dir);
  try {
    const got: ControlEvent[] = [];
    const s = client.stream('logs', { member: 'm2' }, (e) => got.push(e));
    while (got.length < 3) await sleep(5);
    s.close();
    assert.equal(await s.done, undefined);
    assert.deepEqual(got.slice(0, 3), [1, 2, 3].map((i) => ({ id: 1, event: 'line', member: 'm2', text: `line ${i}` })));
    for (let i = 0; i < 100 && !closed; i++) await sleep(10);
    assert.equal(closed, true, 'the server saw the stream close');
    const before = got.length;
    await sleep(50);
    assert.equal(got.length, before, 'no events after close()');

    const finite: ControlEvent[] = [];
    const f = client.stream('finite', undefined, (e) => finite.push(e));
    assert.deepEqual(await f.done, { lines: 1 });
    assert.deepEqual(finite.map((e) => e.text), ['only']);

    const b = client.stream('broken', {}, () => {});
    await assert.rejects(b.done, labError('NOT_READY', (e) => e.message === 'm1 is not running'));

    // The request connection is unaffected by streams.
    await assert.rejects(client.request('nope'), labError('CONTROL'));
  } finally {
    client.close();
    await server.close();
  }
});

test('a supervisor that goes away fails pending requests and streams', async () => {
  const dir = freshDir();
  const server = await startControlServer(statePaths(dir).sock, {
    hang: () => new Promise(() => {}),
  });
  const client = await connectControl(dir);
  const pending = client.request('hang', {}, 5000);
  const s = client.stream('hang', {}, () => {});
  await sleep(50);
  await server.close();
  await assert.rejects(pending, labError('CONTROL', (e) => e.message.includes('closed the connection before answering "hang"')));
  await assert.rejects(s.done, labError('CONTROL'));
  client.close();
});

test('NOT_RUNNING when no supervisor listens (no socket, or a stale socket file)', async () => {
  const dir = freshDir();
  const notRunning = labError(
    'NOT_RUNNING',
    (e) => e.message === `no etcd-lab supervisor is running for ${dir}` && (e.hint ?? '').includes(`etcd-lab up --dir ${dir}`) && e.exitCode === 3,
  );
  await assert.rejects(connectControl(dir), notRunning);

  // A socket file left by a supervisor that was SIGKILLed: it exists, but nobody accepts on it.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(statePaths(dir).sock)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((r) => child.stdout!.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(statSync(statePaths(dir).sock).isSocket());
  await assert.rejects(connectControl(dir), notRunning);

  // startControlServer removes that stale file and serves.
  const server = await startControlServer(statePaths(dir).sock, { ping: async () => 'pong' });
  try {
    const client = await connectControl(dir);
    assert.equal(await client.request('ping'), 'pong');
    client.close();
    // A second server on a live socket is refused, and the live one keeps working.
    await assert.rejects(startControlServer(statePaths(dir).sock, {}), labError('DIR_IN_USE'));
    const again = await connectControl(dir);
    assert.equal(await again.request('ping'), 'pong');
    again.close();
  } finally {
    await server.close();
  }
});

test('long socket paths: a short relative path is used, or a clear error', async () => {
  const cwd = process.cwd();
  const long = join(base, 'long', 'x'.repeat(45), 'y'.repeat(45));
  mkdirSync(long, { recursive: true });
  const sock = statePaths(long).sock;
  assert.ok(Buffer.byteLength(sock) > 108);
  try {
    process.chdir('/');
    assert.throws(() => socketAddress(sock), labError('USAGE', (e) => e.message.includes(sock) && (e.hint ?? '').includes('shorter --dir')));
    await assert.rejects(connectControl(long), labError('USAGE'));

    process.chdir(join(base, 'long'));
    assert.equal(socketAddress(sock), relative(process.cwd(), sock));
    const server = await startControlServer(sock, { ping: async () => 'pong' });
    try {
      assert.ok(existsSync(sock), 'the socket is at its full path, not a truncated one');
      assert.equal(statSync(sock).mode & 0o777, 0o600);
      const client = await connectControl(long);
      assert.equal(await client.request('ping'), 'pong');
      client.close();
    } finally {
      await server.close();
    }
    assert.equal(existsSync(sock), false);
  } finally {
    process.chdir(cwd);
  }
});

test('a short path is used as is', () => {
  const sock = join(base, 'control.sock');
  assert.equal(socketAddress(sock), sock);
});
