// The supervisor's end of the control socket: listens privately in the state dir and answers each request line
// with its handler (see control.ts for the protocol).
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { LabError } from '../errors.js';
import { MAX_REQUEST_BYTES, readLines, socketAddress, toJsonLine, wireError, type ControlContext, type ControlHandler } from './control.js';

/** A client that stops reading (a paused `logs -f | less`) is dropped instead of growing the supervisor's memory. */
const MAX_PENDING_WRITE_BYTES = 16 << 20;

export interface ControlServer {
  /** The address it listens on: the socket path, or a shorter relative form of it. */
  readonly address: string;
  close(): Promise<void>;
}

/** Resolves true when something accepts a connection on `address`. */
function answers(address: string): Promise<boolean> {
  return new Promise((done) => {
    const s = createConnection({ path: address });
    const timer = setTimeout(() => {
      s.destroy();
      done(true);
    }, 1000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      done(true);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT' && e.code !== 'ENOTSOCK');
    });
  });
}

/** Listens with umask 0177 so the socket is 0600 from its first moment (listen binds synchronously). */
function listenPrivately(server: Server, address: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    let old: number | null = null;
    try {
      old = process.umask(0o177);
    } catch {
      /* not allowed in worker threads: the chmod below still closes the gap */
    }
    try {
      server.listen({ path: address }, () => {
        server.off('error', reject);
        resolveListen();
      });
    } finally {
      if (old !== null) process.umask(old);
    }
  });
}

/**
 * Serves `handlers` on the unix socket `sockPath` (mode 0600). A stale socket file that no one answers on is
 * removed first; a live one is refused with DIR_IN_USE.
 */
export async function startControlServer(sockPath: string, handlers: Record<string, ControlHandler>): Promise<ControlServer> {
  const address = socketAddress(sockPath);
  if (existsSync(address)) {
    if (await answers(address)) {
      throw new LabError('DIR_IN_USE', `another process already serves the control socket ${resolve(sockPath)}`, {
        hint: 'an etcd-lab supervisor runs for this dir: stop it with `etcd-lab down`, or use another --dir',
      });
    }
    unlinkSync(address);
  }

  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    const closeHooks: (() => void)[] = [];
    let closed = false;
    socket.on('error', () => {
      /* the client went away; 'close' follows */
    });
    socket.on('close', () => {
      closed = true;
      connections.delete(socket);
      for (const fn of closeHooks.splice(0)) {
        try {
          fn();
        } catch {
          /* a hook's failure must not take the supervisor down */
        }
      }
    });
    const write = (value: unknown) => {
      if (closed || socket.destroyed) return;
      let line: string;
      try {
        line = toJsonLine(value);
      } catch (e) {
        const id = (value as { id?: unknown }).id ?? null;
        line = toJsonLine({ id, ok: false, error: { code: 'INTERNAL', message: `the answer cannot be sent as JSON: ${(e as Error).message}` } });
      }
      socket.write(line);
      if (socket.writableLength > MAX_PENDING_WRITE_BYTES) socket.destroy();
    };
    const onClose = (fn: () => void) => {
      if (closed) queueMicrotask(fn);
      else closeHooks.push(fn);
    };
    readLines(socket, MAX_REQUEST_BYTES, (line) => void serve(line, write, onClose, handlers));
  });

  await listenPrivately(server, address).catch((e: NodeJS.ErrnoException) => {
    throw new LabError('CONTROL', `cannot listen on the control socket ${resolve(sockPath)}: ${e.message}`, { cause: e });
  });
  chmodSync(address, 0o600);

  let closing: Promise<void> | null = null;
  return {
    address,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const c of connections) c.destroy();
      }).then(() => {
        try {
          unlinkSync(address);
        } catch {
          /* already gone */
        }
      });
      return closing;
    },
  };
}

async function serve(
  line: string,
  write: (value: unknown) => void,
  onClose: (fn: () => void) => void,
  handlers: Record<string, ControlHandler>,
): Promise<void> {
  let req: { id?: unknown; op?: unknown; args?: unknown };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    write({ id: null, ok: false, error: { code: 'CONTROL', message: 'a control request is not valid JSON' } });
    return;
  }
  const id = typeof req?.id === 'number' ? req.id : null;
  if (id === null || typeof req.op !== 'string') {
    write({ id, ok: false, error: { code: 'CONTROL', message: 'a control request needs a numeric "id" and a string "op"' } });
    return;
  }
  const handler = Object.hasOwn(handlers, req.op) ? handlers[req.op] : undefined;
  if (handler === undefined) {
    write({
      id,
      ok: false,
      error: {
        code: 'CONTROL',
        message: `the supervisor does not know the control operation "${req.op}"`,
        hint: 'the running supervisor may be from another etcd-lab version: restart it with `etcd-lab down` and `etcd-lab up`',
      },
    });
    return;
  }
  const args = req.args !== null && typeof req.args === 'object' && !Array.isArray(req.args) ? (req.args as Record<string, unknown>) : {};
  let answered = false;
  const ctx: ControlContext = {
    send(event) {
      if (!answered) write(Object.assign({ id }, event, { id }));
    },
    onClose,
  };
  try {
    const result = await handler(args, ctx);
    answered = true;
    write({ id, ok: true, result: result ?? null });
  } catch (e) {
    answered = true;
    write({ id, ok: false, error: wireError(e) });
  }
}
