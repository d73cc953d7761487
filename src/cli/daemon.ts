// `up -d`: the parent starts a detached supervisor process, relays its start progress, and returns once it is ready.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError, type ErrorCode } from '../errors.js';
import type { StartProgress } from '../supervisor/cluster.js';
import type { SupervisorOptions } from '../supervisor/supervisor.js';
import type { ReadyFigure } from '../supervisor/ready-figure.js';
import { startMark } from '../start-trace.js';
import { receiveRequest, REQUEST_WAIT_MS, takeFirstStage, type FirstStage, type NoRequest } from './first-stage.js';
import { removeCreated, restoreDaemonEnv, spawnSupervisorProcess, type SpawnedSupervisor } from './supervisor-spawn.js';

/** What the background supervisor is sent to run the cluster: RunOptions.start, as `up` made it. */
export type DaemonStart = SupervisorOptions;

/** Messages the background supervisor sends its parent over IPC. */
export type DaemonMessage =
  | { type: 'progress'; event: StartProgress }
  | { type: 'ready'; leader: string; elapsedMs: number; supervisorMs: number; pid: number }
  | { type: 'error'; error: { code: string; message: string; hint?: string; details?: string[] } };

/** From the parent: the start request, then the answer to `ready`. */
export type ParentMessage = { type: 'start'; request: DaemonStart } | { type: 'ack' };

function tail(path: string, n: number): string[] {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n);
  } catch {
    return [];
  }
}

export interface DaemonHandle {
  /** Sends the start request; resolves once the cluster is ready. */
  start(o: { start: DaemonStart; onProgress: (e: StartProgress) => void }): Promise<ReadyFigure & { pid: number }>;
  /**
   * At the command's end, whatever happened: ends a daemon that was never sent a request (the parent failed first);
   * once started, gives signals back (one that came after the ready message was taken ends the process now).
   */
  end(): void;
}

/** Starts the background supervisor process (supervisor-spawn.ts) and returns its handle. */
export function spawnDaemon(dir: string): DaemonHandle {
  return daemonHandle(spawnSupervisorProcess(dir));
}

/** The handle of a spawned supervisor that waits for its start request. */
export function daemonHandle(spawned: SpawnedSupervisor): DaemonHandle {
  const { child } = spawned;
  const paths = { root: spawned.root, supervisorLog: spawned.supervisorLog };
  const early = spawned.ended;
  let state: 'spawned' | 'started' | 'cancelled' = 'spawned';
  const exitError = (code: number | null, signal: NodeJS.Signals | null): LabError =>
    new LabError('NOT_READY', `the background supervisor exited before the cluster was ready (${signal ? `signal ${signal}` : `exit code ${code}`})`, {
      details: tail(paths.supervisorLog, 20),
      hint: `its log is ${paths.supervisorLog}`,
    });
  const spawnError = (e: Error): LabError => new LabError('INTERNAL', `cannot start the background supervisor: ${e.message}`);

  // A signal (Ctrl-C) while the start runs is taken between events: before the ready message is acknowledged, the
  // command leaves at once (the supervisor, unanswered, stops the start); after, it waits until the ready lines are
  // printed (end, at the command's end) and then ends by that signal.
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let acked = false;
  let deferred: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (acked) {
      deferred ??= sig;
      return;
    }
    release();
    if (child.connected) child.disconnect();
    process.kill(process.pid, sig);
  };
  const release = (): void => {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  };

  return {
    end: () => {
      if (state === 'started') {
        release();
        if (deferred !== null) process.kill(process.pid, deferred);
        return;
      }
      if (state !== 'spawned') return;
      state = 'cancelled';
      child.removeAllListeners();
      child.kill('SIGKILL');
      if (child.connected) child.disconnect();
      child.unref();
      removeCreated(spawned);
    },
    start: (o) => {
      if (state !== 'spawned') throw new LabError('INTERNAL', `the background supervisor was already ${state}`);
      const request = o.start;
      if (resolve(request.dir) !== paths.root) throw new LabError('INTERNAL', `the background supervisor was started for ${paths.root}, not ${request.dir}`);
      state = 'started';
      spawned.takeOver();
      return new Promise((resolveStart, reject) => {
        let settled = false;
        const done = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          child.removeAllListeners();
          if (child.connected) child.disconnect();
          child.unref();
          fn();
        };
        if (early.error) return done(() => reject(spawnError(early.error!)));
        if (early.exit) return done(() => reject(exitError(early.exit!.code, early.exit!.signal)));
        child.on('message', (m: DaemonMessage) => {
          if (m.type === 'progress') o.onProgress(m.event);
          else if (m.type === 'ready') {
            acked = true;
            const answer: ParentMessage = { type: 'ack' };
            child.send(answer, (e) =>
              done(() => (e ? reject(spawnError(e)) : resolveStart({ leader: m.leader, elapsedMs: m.elapsedMs, supervisorMs: m.supervisorMs, pid: m.pid }))),
            );
          }
          else if (m.type === 'error') {
            const { code, message, hint, details } = m.error;
            done(() => reject(new LabError(code as ErrorCode, message, { ...(hint ? { hint } : {}), details: details ?? [] })));
          }
        });
        child.on('exit', (code, signal) => done(() => reject(exitError(code, signal))));
        child.on('error', (e) => done(() => reject(spawnError(e))));
        for (const sig of SIGNALS) process.on(sig, onSignal);
        const start: ParentMessage = { type: 'start', request };
        startMark('sending the request');
        child.send(start);
      });
    },
  };
}

/** The child side: takes the start request (from the first stage, else waits for it), then runs the supervisor. */
export async function daemonMain(): Promise<number> {
  if (!process.send) throw new LabError('USAGE', '__supervise is started by `etcd-lab up -d`, not by hand');
  restoreDaemonEnv(process.env);
  // The parent may be gone (Ctrl-C) with the channel not yet seen closed: a failed send is dropped, not thrown.
  const send = (m: DaemonMessage): void => {
    if (process.connected) process.send!(m, undefined, {}, () => undefined);
  };
  const first = takeFirstStage();
  // Load what the supervisor needs while the parent is still planning (it sends the request once it has a plan).
  const loading = Promise.all([import('./run-supervisor.js'), import('../supervisor/supervisor.js'), import('../supervisor/process.js')]);
  loading.catch(() => undefined);
  const request = first ? requestOf(first) : await waitForRequest();
  const [{ runSupervisor }] = await loading;
  const stamp = (): string => new Date().toISOString();
  const say = (t: string): void => void process.stdout.write(`${stamp()} ${t}\n`);
  say(`supervisor pid ${process.pid} starting ${request.plan.members.length} members in ${request.dir}`);
  // A parent that goes away before the cluster is ready (Ctrl-C on `up -d`) takes the start with it: stop as on SIGTERM.
  let parentLeft = false;
  const parentGone = (): void => {
    parentLeft = true;
    say('the parent `etcd-lab up -d` went away before the cluster was ready: stopping');
    process.kill(process.pid, 'SIGTERM');
  };
  process.once('disconnect', parentGone);
  // Gone while the first stage worked or the code loaded, before anyone listened.
  if (!process.connected) parentGone();
  try {
    return await runSupervisor({
      start: request,
      early: first?.early ?? null,
      signalsTaken: () => first?.signalsTaken(),
      onProgress: (event) => send({ type: 'progress', event }),
      say,
      onReady: (_sup, ready) => {
        // The start can finish between the parent's leaving and our SIGTERM's arrival: that stop goes on regardless.
        if (parentLeft) return;
        // The parent answers once it has taken the message; a parent gone before that (Ctrl-C) never told the user,
        // so the start is stopped as above. Only the answer lets the cluster run on without it.
        process.once('message', (m: ParentMessage) => {
          if (m.type !== 'ack' || parentLeft) return;
          process.off('disconnect', parentGone);
          say(`cluster ready in ${ready.elapsedMs} ms from the command's start (this supervisor's share ${ready.supervisorMs} ms), leader ${ready.leader}`);
          if (process.connected) process.disconnect();
        });
        send({ type: 'ready', leader: ready.leader, elapsedMs: ready.elapsedMs, supervisorMs: ready.supervisorMs, pid: process.pid });
      },
    });
  } catch (e) {
    // The parent leaves once it has the error: that is not the parent going away mid-start.
    process.off('disconnect', parentGone);
    const err = e as LabError;
    say(`failed: ${err.message}`);
    for (const d of err.details ?? []) say(`  ${d}`);
    send({ type: 'error', error: { code: err.code ?? 'INTERNAL', message: err.message, ...(err.hint ? { hint: err.hint } : {}), details: err.details ?? [] } });
    if (process.connected) process.disconnect();
    return 1;
  }
}

/** Why there is no start request, as an error. */
function noRequest(ended: NoRequest): LabError {
  if (ended === 'disconnected') return new LabError('INTERNAL', 'the parent `etcd-lab up -d` went away before sending the start request');
  if (ended === 'timeout') return new LabError('INTERNAL', `no start request from \`etcd-lab up -d\` within ${REQUEST_WAIT_MS / 1000} s`);
  return new LabError('INTERNAL', `expected the start request from \`etcd-lab up -d\`, got "${ended.unexpected}"`);
}

/** The request the first stage took, or why there is none. */
function requestOf(first: FirstStage): DaemonStart {
  if (first.request) return first.request;
  throw noRequest(first.ended ?? { unexpected: 'nothing' });
}

function waitForRequest(): Promise<DaemonStart> {
  return new Promise<DaemonStart>((resolve, reject) => receiveRequest((r) => ('request' in r ? resolve(r.request) : reject(noRequest(r.ended)))));
}
