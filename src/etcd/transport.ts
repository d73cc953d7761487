// One bounded HTTP request to a member (connect, request, full response), with etcd-lab's error kinds.
// node:http rather than fetch: client certificates are needed for TLS members.
import http from 'node:http';
import https from 'node:https';
import type { EtcdTlsOptions } from './client.js';
import { EtcdRequestError } from './request-error.js';

export interface RawAnswer {
  status: number;
  text: string;
}

interface SendSpec {
  url: URL;
  method: 'GET' | 'POST';
  body?: string;
  agent: http.Agent | false;
  tls?: EtcdTlsOptions;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Retry once when a reused keep-alive socket turns out to be closed (only for idempotent calls). */
  retryStale: boolean;
}

const REFUSED_CODES = new Set(['ECONNREFUSED']);

export function send(spec: SendSpec): Promise<RawAnswer> {
  const { url, timeoutMs, signal } = spec;
  const where = url.href;
  return new Promise<RawAnswer>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new EtcdRequestError('aborted', `${spec.method} ${where}: aborted`, { url: where, cause: signal.reason }));
      return;
    }
    let settled = false;
    let req: http.ClientRequest | undefined;
    const finish = (err: EtcdRequestError | null, answer?: RawAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        req?.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const timer = setTimeout(() => {
      finish(new EtcdRequestError('timeout', `${spec.method} ${where}: no answer within ${timeoutMs} ms`, { url: where }));
    }, timeoutMs);
    const onAbort = (): void => {
      finish(new EtcdRequestError('aborted', `${spec.method} ${where}: aborted`, { url: where, cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const attempt = (mayRetry: boolean): void => {
      const lib = url.protocol === 'https:' ? https : http;
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      if (spec.body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(spec.body);
      }
      const tls = spec.agent === false && spec.tls ? { ca: spec.tls.ca, cert: spec.tls.cert, key: spec.tls.key } : {};
      let r: http.ClientRequest;
      try {
        r = lib.request(url, { method: spec.method, headers, agent: spec.agent, ...tls }, onResponse);
      } catch (e) {
        finish(networkError(spec.method, where, e as NodeJS.ErrnoException));
        return;
      }
      req = r;
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        if (mayRetry && r.reusedSocket && e.code === 'ECONNRESET') {
          attempt(false);
          return;
        }
        finish(networkError(spec.method, where, e));
      });
      r.end(spec.body);
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish(networkError(spec.method, where, e)));
    };
    attempt(spec.retryStale);
  });
}

function networkError(method: string, where: string, e: NodeJS.ErrnoException): EtcdRequestError {
  if (e.code && REFUSED_CODES.has(e.code)) {
    return new EtcdRequestError('refused', `${method} ${where}: connection refused (nothing listens there)`, {
      url: where,
      cause: e,
    });
  }
  return new EtcdRequestError('network', `${method} ${where}: ${e.code ?? e.message}`, { url: where, cause: e });
}
