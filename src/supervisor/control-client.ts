// The CLI's end of the control socket: requests with a time bound on one connection, and streams on connections
// of their own (see control.ts for the protocol).
import { createConnection, type Socket } from 'node:net';
import { LabError } from '../errors.js';
import { shellQuote } from '../plan/quote.js';
import { MAX_ANSWER_BYTES, fromWire, readLines, socketAddress, toJsonLine, type ControlEvent, type WireError } from './control.js';
import { statePaths } from './state-dir.js';

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
