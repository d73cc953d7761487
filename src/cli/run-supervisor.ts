// Runs a supervisor in this process: the foreground of `up`, or the background child of `up -d`.
import { LabError } from '../errors.js';
import type { MemberExitEvent, StartProgress } from '../supervisor/cluster.js';
import { describeExit } from '../supervisor/exit-report.js';
import type { ReadyFigure } from '../supervisor/ready-figure.js';
import type { EarlyStart } from '../supervisor/early-start.js';
import type { Supervisor, SupervisorOptions } from '../supervisor/supervisor.js';

export interface RunOptions {
  /** What to run: `up` makes it once, and it is the request the background supervisor of `up -d` is sent as is. */
  start: SupervisorOptions;
  onProgress: (e: StartProgress) => void;
  /** Called once the cluster is ready. */
  onReady: (sup: Supervisor, ready: ReadyFigure) => void | Promise<void>;
  /** Lines about the supervisor's own life (member exits, restarts, stop). */
  say: (text: string) => void;
  /** How a member's log line is shown in those (default: as etcd wrote it). */
  formatLine?: (member: string, text: string) => string;
  /** What the background supervisor's first stage did already (supervisor/early-start.ts). */
  early?: EarlyStart | null;
  /** Called once this process's stop signals are handled here. */
  signalsTaken?: () => void;
}

/**
 * Opens the dir, starts the cluster and keeps it until SIGINT/SIGTERM/SIGHUP or `down`; resolves with the exit code.
 * Every path out of here stops every member.
 */
export async function runSupervisor(o: RunOptions): Promise<number> {
  const [{ Supervisor }, { attachChaos }] = await Promise.all([import('../supervisor/supervisor.js'), import('../chaos/attach.js')]);
  const { killAllGroupsSync } = await import('../supervisor/process.js');
  const lastResort = (): void => killAllGroupsSync();
  process.on('exit', lastResort);
  const crash = (e: unknown): void => {
    killAllGroupsSync();
    process.stderr.write(`etcd-lab supervisor crashed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const sup = await Supervisor.open(o.start, o.early ?? null);
  // `etcd-lab kill|partition|...` and chaos mode's proxies (the supervisor does not import the chaos layer).
  attachChaos(sup);
  let signals = 0;
  let stopping: Promise<void> | null = null;
  const stop = (why: string, graceMs = 3000): Promise<void> => {
    if (!stopping) o.say(`stopping (${why}): followers first, then the leader`);
    stopping ??= sup.shutdown(graceMs);
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) void stop(sig);
    else {
      o.say(`${sig} again: killing every member now`);
      void sup.shutdown(0);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  o.signalsTaken?.();
  sup.on('down-requested', (graceMs: number) => void stop('etcd-lab down', graceMs));
  const line = o.formatLine ?? ((member: string, text: string) => `${member} | ${text}`);
  sup.cluster.on('member-exit', (e: MemberExitEvent) => {
    const how = describeExit(e);
    if (e.byFault) {
      o.say(`${e.name} was killed by a fault (${e.signal ?? how}); it stays down until \`etcd-lab restart ${e.name}\``);
      return;
    }
    o.say(`${e.name} exited on its own (${how})`);
    for (const l of e.lastLines.slice(-5)) o.say(`  ${line(e.name, l)}`);
  });
  sup.on('grpc-proxy-exit', (e: { code: number | null; signal: string | null; lastLines: string[] }) => {
    o.say(`the gRPC proxy exited on its own (${describeExit(e)}); restarting it`);
    for (const l of e.lastLines) o.say(`  grpc-proxy | ${l}`);
  });
  sup.cluster.on('member-restart', (e: { name: string; attempt: number; delayMs: number }) => {
    o.say(`restarting ${e.name} in ${e.delayMs} ms (attempt ${e.attempt})`);
  });

  try {
    const ready = await sup.start(o.onProgress);
    await o.onReady(sup, ready);
  } catch (e) {
    await sup.shutdown(0).catch(() => undefined);
    throw e;
  }
  await new Promise<void>((resolve) => sup.once('stopped', () => resolve()));
  o.say('stopped: no member is running');
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  return 0;
}

export function notReadyDetails(e: unknown): string[] {
  return e instanceof LabError ? e.details : [];
}
