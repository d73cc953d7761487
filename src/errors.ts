/**
 * Exit codes used by the CLI. 2 = the user's input was refused (usage), 1 = something failed at run time (or a
 * check found a violation), 4 = a check could not decide (e.g. linearizability ran out of its time budget).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3, undecided: 4 } as const;

export type ErrorCode =
  | 'USAGE'
  | 'EVEN_MEMBERS'
  | 'MEMBER_COUNT'
  | 'BAD_NAME'
  | 'BAD_PORT'
  | 'PORT_IN_USE'
  | 'BAD_TIMING'
  | 'BAD_VERSION'
  | 'BAD_CONFIG'
  | 'BAD_PROCFILE'
  | 'BAD_DURATION'
  | 'FILE_EXISTS'
  | 'ETCD_NOT_FOUND'
  | 'ETCD_TOO_OLD'
  | 'NOT_ETCD'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'DIR_IN_USE'
  | 'DIR_MISMATCH'
  | 'NOT_RUNNING'
  | 'UNKNOWN_MEMBER'
  | 'NOT_READY'
  | 'CONTROL'
  | 'NO_CHAOS'
  | 'BAD_TARGET'
  | 'BAD_PARTITION'
  | 'CHECK_FAILED'
  | 'BAD_HISTORY'
  | 'MEMBERSHIP'
  | 'SNAPSHOT'
  | 'TLS'
  | 'ETCD_REQUEST'
  | 'BAD_HOST'
  | 'NETNS'
  | 'INTERNAL';

const usageCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE', 'EVEN_MEMBERS', 'MEMBER_COUNT', 'BAD_NAME', 'BAD_PORT', 'BAD_TIMING', 'BAD_VERSION', 'BAD_CONFIG',
  'BAD_PROCFILE', 'BAD_DURATION', 'FILE_EXISTS', 'UNKNOWN_MEMBER', 'BAD_TARGET', 'BAD_PARTITION', 'NO_CHAOS', 'BAD_HISTORY',
  'BAD_HOST',
]);

/**
 * The one error type of etcd-lab. `message` says what was wrong (and where), `hint` how to fix it.
 * The CLI prints both and exits with `exitCode`.
 */
export class LabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;
  /** Extra lines shown after the message, e.g. the last log lines of a failed member. */
  readonly details: string[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; exitCode?: number; details?: string[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LabError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
    this.exitCode = opts.exitCode ?? (code === 'NOT_RUNNING' ? EXIT.notRunning : usageCodes.has(code) ? EXIT.usage : EXIT.failure);
  }
}

export function isLabError(e: unknown): e is LabError {
  return e instanceof LabError;
}
