// The error of a failed request to etcd, and how it failed.
import { LabError } from '../errors.js';

/**
 * - `timeout`: no full answer within the time bound (e.g. a paused member, or one without a leader).
 * - `refused`: nothing listens on the port.
 * - `network`: the connection failed otherwise (reset, closed before the answer, TLS, DNS).
 * - `aborted`: the caller's AbortSignal fired.
 * - `http`: an HTTP answer that is not an etcd answer (unexpected status or body).
 * - `etcd`: etcd answered with an error, e.g. "etcdserver: request timed out", "etcdserver: no leader".
 */
export type EtcdErrorKind = 'timeout' | 'refused' | 'network' | 'aborted' | 'http' | 'etcd';

/** A failed request to etcd. A LabError (code ETCD_REQUEST), so callers handle one error type; `kind` says how it failed. */
export class EtcdRequestError extends LabError {
  readonly kind: EtcdErrorKind;
  /** HTTP status, when there was an HTTP answer. */
  readonly status: number | undefined;
  /** etcd's own message, e.g. "etcdserver: no leader" (kind `etcd`). */
  readonly etcdMessage: string | undefined;
  /** gRPC status code from the gateway (kind `etcd`), e.g. 14 = unavailable. */
  readonly grpcCode: number | undefined;
  readonly url: string;

  constructor(
    kind: EtcdErrorKind,
    message: string,
    opts: { url: string; status?: number; etcdMessage?: string; grpcCode?: number; cause?: unknown },
  ) {
    super('ETCD_REQUEST', message, {
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
      ...(kind === 'refused' ? { hint: `is the member at ${originOf(opts.url)} running? \`etcd-lab status\` shows every member` } : {}),
    });
    this.name = 'EtcdRequestError';
    this.kind = kind;
    this.url = opts.url;
    this.status = opts.status;
    this.etcdMessage = opts.etcdMessage;
    this.grpcCode = opts.grpcCode;
  }

  /** True when the member gave no answer at all: a state to show rather than a failure to report. */
  get noAnswer(): boolean {
    return this.kind === 'timeout' || this.kind === 'refused' || this.kind === 'network';
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function isEtcdRequestError(e: unknown): e is EtcdRequestError {
  return e instanceof EtcdRequestError;
}
