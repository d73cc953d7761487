// What the background supervisor's first stage (supervisor-first.ts, its own small bundle) hands to the rest of the
// supervisor's code (daemon.ts, in the supervisor's bundle supervisor.cjs, or the CLI's in a build without it): the start request it took, or how the wait for it ended, and
// what it started early. The two bundles are separate module graphs in one process: the handoff is kept on
// globalThis under a registered symbol, and taken once.
import type { EarlyStart } from '../supervisor/early-start.js';
import type { DaemonStart } from './daemon.js';

export interface FirstStage {
  /** The start request; null when the wait for it ended otherwise (`ended`). */
  request: DaemonStart | null;
  ended: 'disconnected' | 'timeout' | { unexpected: string } | null;
  /** The lock, the reaping and the anchor, or null when the start did not begin early (early-start.ts). */
  early: EarlyStart | null;
  /** The supervisor's own signal handlers are in place: the first stage's stand-ins leave. */
  signalsTaken(): void;
}

const KEY = Symbol.for('etcd-lab.supervisor-first-stage');
type WithFirstStage = typeof globalThis & { [KEY]?: FirstStage };

export function handOver(f: FirstStage): void {
  (globalThis as WithFirstStage)[KEY] = f;
}

/** The first stage's handoff, once; null when this supervisor started without one (built without its bundle). */
export function takeFirstStage(): FirstStage | null {
  const g = globalThis as WithFirstStage;
  const f = g[KEY] ?? null;
  delete g[KEY];
  return f;
}

/** Whether a first stage ran in this process (its marks are in the start trace already). */
export function firstStageRan(): boolean {
  return (globalThis as WithFirstStage)[KEY] !== undefined;
}

/** How long the supervisor waits for the start request from `etcd-lab up -d` before it gives up. */
export const REQUEST_WAIT_MS = 60_000;
