// What the background supervisor's first stage (supervisor-first.ts, its own small bundle) hands to the rest of the
// supervisor's code (daemon.ts, in the supervisor's bundle supervisor.cjs, or the CLI's in a build without it): the start request it took, or how the wait for it ended, and
// what it started early. The two bundles are separate module graphs in one process: the handoff is kept on
// globalThis under a registered symbol, and taken once.
import { startMark } from '../start-trace.js';
import type { EarlyStart } from '../supervisor/early-start.js';
import type { DaemonStart, ParentMessage } from './daemon.js';

/** How the wait for the start request ended without one. */
export type NoRequest = 'disconnected' | 'timeout' | { unexpected: string };

export interface FirstStage {
  /** The start request; null when the wait for it ended otherwise (`ended`). */
  request: DaemonStart | null;
  ended: NoRequest | null;
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

/**
 * Waits on the IPC channel for the start request from `etcd-lab up -d`, at most REQUEST_WAIT_MS: `done` gets it, or
 * how the wait ended without it. The one wait of a supervisor: its first stage's, or daemon.ts's in a build without
 * the first stage.
 */
export function receiveRequest(done: (r: { request: DaemonStart } | { ended: NoRequest }) => void): void {
  let settled = false;
  const finish = (r: { request: DaemonStart } | { ended: NoRequest }): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    process.off('disconnect', onGone);
    process.off('message', onMessage);
    done(r);
  };
  const onGone = (): void => finish({ ended: 'disconnected' });
  // A parent that neither sends nor goes away (stuck, or killed without closing the channel) must not leave us waiting.
  const timer = setTimeout(() => finish({ ended: 'timeout' }), REQUEST_WAIT_MS);
  const onMessage = (m: ParentMessage): void => {
    if (m.type !== 'start') return finish({ ended: { unexpected: m.type } });
    startMark('request received');
    finish({ request: m.request });
  };
  process.on('message', onMessage);
  process.once('disconnect', onGone);
}
