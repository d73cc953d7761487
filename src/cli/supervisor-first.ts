// The background supervisor's first stage. launch.cjs runs this small bundle (dist/cli/supervisor-first.cjs) for
// `__supervise` before the rest of the supervisor's code (its own bundle, supervisor.cjs): with little to compile it
// is ready for the start request as soon as it can be (a request that arrives while a bundle loads waits for it),
// it spawns the bootstrap anchor at once and the other members after it (supervisor/early-start.ts), and only then
// loads the rest, which adopts them (daemon.ts takes the handoff, first-stage.ts). The members' own start then
// overlaps that load.
import { constants } from 'node:os';
import { markNodeStarted, setStartRole, startMark } from '../start-trace.js';
import { startEarly } from '../supervisor/early-start.js';
import { handOver, receiveRequest, type FirstStage } from './first-stage.js';
import { restoreDaemonEnv } from './supervisor-spawn.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function runFirstStage(loadRest: () => void): void {
  setStartRole('supervisor');
  markNodeStarted();
  startMark('first stage loaded');
  // Not started by `up -d`: the rest of the supervisor says so (daemon.ts).
  if (!process.send) return loadRest();
  restoreDaemonEnv(process.env);
  const signalsTaken = guardSignals();
  receiveRequest((r) => {
    const finish = (f: Omit<FirstStage, 'signalsTaken'>): void => {
      handOver({ ...f, signalsTaken });
      loadRest();
    };
    if ('ended' in r) return finish({ request: null, ended: r.ended, early: null });
    startEarly(r.request).then(
      (early) => finish({ request: r.request, ended: null, early }),
      () => finish({ request: r.request, ended: null, early: null }),
    );
  });
}

/**
 * Until the supervisor's own handlers are in place (run-supervisor.ts), a stop signal ends this process with the
 * signal's exit status (128 + its number), and the members it started and its lock with it (early-start.ts undoes
 * both on exit): Node's default for the signal would leave them.
 */
function guardSignals(): () => void {
  const onSignal = (sig: NodeJS.Signals): void => {
    if (process.listenerCount(sig) > 1) return; // the supervisor's handler has it
    process.stdout.write(`${new Date().toISOString()} ${sig} before the supervisor had started: stopping what its first stage started\n`);
    process.exit(128 + (constants.signals[sig] ?? 0));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  return () => {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  };
}
