// The restart rule and backoff of every runner (`up`'s cluster and `start -f`'s Procfile runner): one rule, one set
// of constants. The rule is systemd's and Docker's `on-failure`: a process that failed (a non-zero exit code, killed
// by a signal, or could not be started) is restarted; one that exited 0 has finished its job and stays down.
import type { RestartPolicy } from '../plan/settings.js';
import type { ExitLike } from './exit-report.js';

export const BACKOFF_FIRST_MS = 250;
export const BACKOFF_MAX_MS = 8000;
/** A process that ran this long before it ended starts its backoff again from the first delay. */
export const BACKOFF_RESET_AFTER_MS = 30_000;

/** PURE. Whether the exit counts as a failure: anything but exit code 0. */
export function exitFailed(exit: ExitLike): boolean {
  return exit.code !== 0 || exit.signal !== null;
}

/** PURE. THE rule: `on-failure` restarts a process whose exit failed; `never` restarts nothing. */
export function shouldRestart(policy: RestartPolicy, exit: ExitLike): boolean {
  return policy === 'on-failure' && exitFailed(exit);
}

export interface ScheduledRestart {
  /** 1 for the first restart since the runner started. */
  attempt: number;
  delayMs: number;
}

/**
 * The restarts of one process: exponential backoff from BACKOFF_FIRST_MS to BACKOFF_MAX_MS, back to the first delay
 * after a run of BACKOFF_RESET_AFTER_MS, at most one restart pending.
 */
export class RestartBackoff {
  private backoffMs = BACKOFF_FIRST_MS;
  private attempts = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  /** Call when the process is spawned. */
  started(now = Date.now()): void {
    this.startedAt = now;
  }

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Runs `restart` after the next backoff delay (replacing a pending one); says which attempt and when. */
  schedule(restart: () => void, now = Date.now()): ScheduledRestart {
    this.cancel();
    if (now - this.startedAt >= BACKOFF_RESET_AFTER_MS) this.backoffMs = BACKOFF_FIRST_MS;
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.attempts++;
    this.timer = setTimeout(() => {
      this.timer = null;
      restart();
    }, delayMs);
    return { attempt: this.attempts, delayMs };
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
