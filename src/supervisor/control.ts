// The supervisor's control socket: line-delimited JSON over a unix socket in the state dir.
//
//   request   {"id":1,"op":"status","args":{...}}
//   answer    {"id":1,"ok":true,"result":...}  or  {"id":1,"ok":false,"error":{"code","message","hint"?,"details"?}}
//   events    {"id":1,"event":"line","member":"m1","text":"..."}   zero or more, before the answer (streams)
//
// A streaming handler sends events with ctx.send and resolves when the stream is over (e.g. on ctx.onClose);
// the answer ends the stream. Events sent after the answer are dropped.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { relative, resolve } from 'node:path';
import { LabError, isLabError, type ErrorCode } from '../errors.js';
import { shellQuote } from '../plan/quote.js';
import { statePaths } from './state-dir.js';

export interface ControlContext {
  /** Sends an event for this request (e.g. `{ event: 'line', member, text }`). A no-op once answered or closed. */
  send(event: object): void;
  /** Runs `fn` when the client's connection closes (at once if it already has). */
  onClose(fn: () => void): void;
}

export type ControlHandler = (args: Record<string, unknown>, ctx: ControlContext) => unknown;

export interface ControlServer {
  /** The address it listens on: the socket path, or a shorter relative form of it. */
  readonly address: string;
  close(): Promise<void>;
}

export interface ControlEvent {
  id: number;
  event: string;
  [key: string]: unknown;
}

export interface ControlStream {
  close(): void;
  /** Settles when the stream ends: the handler's result, or a LabError. Resolves (undefined) after close(). */
  readonly done: Promise<unknown>;
}

export interface ControlClient {
  request(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  stream(op: string, args: Record<string, unknown> | undefined, onEvent: (event: ControlEvent) => void): ControlStream;
  close(): void;
}

interface WireError {
  code: string;
  message: string;
  hint?: string;
  details?: string[];
  /** Only when it is not the code's usual one. */
  exitCode?: number;
}

/** sun_path holds 108 bytes on Linux and 104 on macOS/BSD, the terminating NUL included. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;
const MAX_REQUEST_BYTES = 1 << 20;
const MAX_ANSWER_BYTES = 64 << 20;
/** A client that stops reading (a paused `logs -f | less`) is dropped instead of growing the supervisor's memory. */
const MAX_PENDING_WRITE_BYTES = 16 << 20;

/**
 * The address to bind or connect for the socket at `sockPath`. Node silently truncates a path that does not fit
 * in sun_path, so a long one is replaced by its relative form when that fits, else refused.
 */
export function socketAddress(sockPath: string): string {
  const abs = resolve(sockPath);
  if (Buffer.byteLength(abs) <= MAX_SOCKET_PATH) return abs;
  const rel = relative(process.cwd(), abs);
  if (Buffer.byteLength(rel) <= MAX_SOCKET_PATH) return rel;
  throw new LabError(
    'USAGE',
    `the control socket path ${abs} is ${Buffer.byteLength(abs)} bytes long; a unix socket path may have at most ${MAX_SOCKET_PATH}`,
    { hint: 'use a shorter --dir (or run etcd-lab from a directory near it, so the relative path is short)' },
  );
}

function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}

function wireError(e: unknown): WireError {
  if (isLabError(e)) {
    return {
      code: e.code,
      message: e.message,
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.details.length > 0 ? { details: e.details } : {}),
      ...(e.exitCode !== new LabError(e.code, '').exitCode ? { exitCode: e.exitCode } : {}),
    };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function fromWire(err: WireError): LabError {
  return new LabError((err.code ?? 'CONTROL') as ErrorCode, err.message ?? 'the supervisor reported an error', {
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(Array.isArray(err.details) ? { details: err.details } : {}),
    ...(typeof err.exitCode === 'number' ? { exitCode: err.exitCode } : {}),
  });
}

/** Calls `onLine` for every complete line; destroys the socket when a line grows past `maxBytes`. */
function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
      if (socket.destroyed) return;
    }
    if (buffer.length > maxBytes) socket.destroy();
  });
}

// ---- server ----

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

// ---- client ----

function notRunning(dir: string): LabError {
  return new LabError('NOT_RUNNING', `no etcd-lab supervisor is running for ${dir}`, {
    hint: `start one with \`etcd-lab up --dir ${shellQuote(dir)}\``,
  });
}

function openSocket(dir: string): Promise<Socket> {
  const address = socketAddress(statePaths(dir).sock);
  return new Promise((done, fail) => {
    const socket = createConnection({ path: address });
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new LabError('CONTROL', `the etcd-lab supervisor for ${dir} does not accept connections`, {
        hint: `it may be paused or stuck; see ${statePaths(dir).supervisorLog}`,
      }));
    }, 3000);
    socket.once('connect', () => {
      clearTimeout(timer);
      done(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') fail(notRunning(dir));
      else fail(new LabError('CONTROL', `cannot connect to the etcd-lab supervisor for ${dir}: ${e.message}`, { cause: e }));
    });
  });
}

type Answer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

function parseMessage(line: string): { answer: Answer } | { event: ControlEvent } | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || typeof (v as { id?: unknown }).id !== 'number') return null;
  if ('ok' in v) return { answer: v as Answer };
  if (typeof (v as { event?: unknown }).event === 'string') return { event: v as ControlEvent };
  return null;
}

/** Connects to the supervisor of the state dir `dir`. Throws NOT_RUNNING when none listens. */
export async function connectControl(dir: string): Promise<ControlClient> {
  const socket = await openSocket(dir);
  const pending = new Map<number, { op: string; resolve(v: unknown): void; reject(e: unknown): void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let closedBy: 'user' | 'peer' | null = null;
  const idle = () => {
    if (pending.size === 0) socket.unref();
  };
  idle();

  socket.on('error', () => {
    /* 'close' follows and fails what is pending */
  });
  socket.on('close', () => {
    closedBy ??= 'peer';
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(
        closedBy === 'user'
          ? new LabError('CONTROL', `the control connection was closed before "${p.op}" was answered`)
          : new LabError('CONTROL', `the etcd-lab supervisor for ${dir} closed the connection before answering "${p.op}"`, {
              hint: `see ${statePaths(dir).supervisorLog}`,
            }),
      );
    }
  });
  readLines(socket, MAX_ANSWER_BYTES, (line) => {
    const parsed = parseMessage(line);
    if (parsed === null || !('answer' in parsed)) return;
    const msg = parsed.answer;
    const p = pending.get(msg.id);
    if (p === undefined) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    idle();
    if (msg.ok) p.resolve(msg.result);
    else p.reject(fromWire(msg.error));
  });

  return {
    request(op, args, timeoutMs = 10_000) {
      if (closedBy !== null) {
        return Promise.reject(new LabError('CONTROL', `the control connection to the supervisor for ${dir} is closed`));
      }
      const id = nextId++;
      return new Promise((resolveReq, rejectReq) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          idle();
          rejectReq(new LabError('CONTROL', `the etcd-lab supervisor for ${dir} did not answer "${op}" within ${timeoutMs / 1000} s`, {
            hint: `it may be busy or stuck; see ${statePaths(dir).supervisorLog}`,
          }));
        }, timeoutMs);
        pending.set(id, { op, resolve: resolveReq, reject: rejectReq, timer });
        socket.ref();
        socket.write(toJsonLine({ id, op, ...(args !== undefined ? { args } : {}) }));
      });
    },
    stream(op, args, onEvent) {
      return openStream(dir, op, args, onEvent);
    },
    close() {
      closedBy ??= 'user';
      socket.destroy();
    },
  };
}

/** A stream gets a connection of its own, so closing it tells the supervisor (ctx.onClose) and nothing else. */
function openStream(
  dir: string,
  op: string,
  args: Record<string, unknown> | undefined,
  onEvent: (event: ControlEvent) => void,
): ControlStream {
  let socket: Socket | null = null;
  let finished = false;
  let settle!: { resolve(v: unknown): void; reject(e: unknown): void };
  const done = new Promise<unknown>((resolveDone, rejectDone) => {
    settle = { resolve: resolveDone, reject: rejectDone };
  });
  done.catch(() => {
    /* the caller may not await `done`; an unhandled rejection must not crash the CLI */
  });
  const finish = (error: unknown, result?: unknown) => {
    if (finished) return;
    finished = true;
    socket?.destroy();
    if (error !== undefined) settle.reject(error);
    else settle.resolve(result);
  };

  openSocket(dir).then(
    (s) => {
      if (finished) {
        s.destroy();
        return;
      }
      socket = s;
      s.on('error', () => {
        /* 'close' follows */
      });
      s.on('close', () =>
        finish(new LabError('CONTROL', `the etcd-lab supervisor for ${dir} closed the "${op}" stream`, {
          hint: `see ${statePaths(dir).supervisorLog}`,
        })),
      );
      readLines(s, MAX_ANSWER_BYTES, (line) => {
        const parsed = parseMessage(line);
        if (parsed === null || finished) return;
        if ('answer' in parsed) {
          const msg = parsed.answer;
          if (msg.id !== 1) return;
          if (msg.ok) finish(undefined, msg.result);
          else finish(fromWire(msg.error));
          return;
        }
        if (parsed.event.id !== 1) return;
        try {
          onEvent(parsed.event);
        } catch (e) {
          finish(e);
        }
      });
      s.write(toJsonLine({ id: 1, op, ...(args !== undefined ? { args } : {}) }));
    },
    (e: unknown) => finish(e),
  );

  return {
    done,
    close() {
      finish(undefined, undefined);
    },
  };
}
