// What each bundle's entry does first and last (bin.ts for the CLI, supervise.ts for the background supervisor): say
// its role in the start trace, mark that its code has loaded, and turn the command's result into the exit status.
import { markNodeStarted, setStartRole, startMark } from '../start-trace.js';
import { firstStageRan } from './first-stage.js';

export function enter(role: 'command' | 'supervisor'): void {
  setStartRole(role);
  // The supervisor's first stage (supervisor-first.ts) has marked its Node start already.
  if (!firstStageRan()) markNodeStarted();
  startMark('code loaded');
}

export function exitWith(result: Promise<number>): void {
  result.then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // Reached only when the error printer itself could not load: say what happened in plain words.
      process.stderr.write(`etcd-lab: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/** The background supervisor of `up -d` (`__supervise`): from its own bundle, or from the CLI's without it. */
export async function supervise(): Promise<number> {
  try {
    const { daemonMain } = await import('./daemon.js');
    return await daemonMain();
  } catch (e) {
    const { printError } = await import('./output.js');
    return printError(e);
  }
}
