// The supervisor's control socket: line-delimited JSON over a unix socket in the state dir.
//
//   request   {"id":1,"op":"status","args":{...}}
//   answer    {"id":1,"ok":true,"result":...}  or  {"id":1,"ok":false,"error":{"code","message","hint"?,"details"?}}
//   events    {"id":1,"event":"line","member":"m1","text":"..."}   zero or more, before the answer (streams)
//
// A streaming handler sends events with ctx.send and resolves when the stream is over (e.g. on ctx.onClose);
// the answer ends the stream. Events sent after the answer are dropped.
//
// The server is control-server.ts, the client control-client.ts; this file holds what both ends share.
import type { Socket } from 'node:net';
import { relative, resolve } from 'node:path';
import { LabError, isLabError, type ErrorCode } from '../errors.js';

export interface ControlContext {
  /** Sends an event for this request (e.g. `{ event: 'line', member, text }`). A no-op once answered or closed. */
  send(event: object): void;
  /** Runs `fn` when the client's connection closes (at once if it already has). */
  onClose(fn: () => void): void;
}

export type ControlHandler = (args: Record<string, unknown>, ctx: ControlContext) => unknown;

export interface ControlEvent {
  id: number;
  event: string;
  [key: string]: unknown;
}

export interface WireError {
  code: string;
  message: string;
  hint?: string;
  details?: string[];
  /** Only when it is not the code's usual one. */
  exitCode?: number;
}

/** sun_path holds 108 bytes on Linux and 104 on macOS/BSD, the terminating NUL included. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;
export const MAX_REQUEST_BYTES = 1 << 20;
export const MAX_ANSWER_BYTES = 64 << 20;

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

export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}

export function wireError(e: unknown): WireError {
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

export function fromWire(err: WireError): LabError {
  return new LabError((err.code ?? 'CONTROL') as ErrorCode, err.message ?? 'the supervisor reported an error', {
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(Array.isArray(err.details) ? { details: err.details } : {}),
    ...(typeof err.exitCode === 'number' ? { exitCode: err.exitCode } : {}),
  });
}

/** Calls `onLine` for every complete line; destroys the socket when a line grows past `maxBytes`. */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void): void {
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
