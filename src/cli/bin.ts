#!/usr/bin/env node
// Two paths skip the command tree (commander and every command module, ~55 ms of loading): `--version`, which
// people and scripts run cold, and the background supervisor of `up -d`, whose start is on the path to ready.
// `up -d` itself spawns that supervisor before loading the tree (up-early.ts), and the supervisor's first stage
// (supervisor-first.ts) runs before this bundle.
import { performance } from 'node:perf_hooks';
import { setStartRole, startMark } from '../start-trace.js';
import { firstStageRan } from './first-stage.js';

const args = process.argv.slice(2);
setStartRole(args.length === 1 && args[0] === '__supervise' ? 'supervisor' : 'command');
// The supervisor's first stage (supervisor-first.ts) has marked its Node start already.
if (!firstStageRan()) startMark('node started', performance.timeOrigin);
startMark('code loaded');

async function run(): Promise<number> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    const { packageVersion } = await import('./version.js');
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (args.length === 1 && args[0] === '__supervise') {
    try {
      const { daemonMain } = await import('./daemon.js');
      return await daemonMain();
    } catch (e) {
      const { printError } = await import('./output.js');
      return printError(e);
    }
  }
  if (args[0] === 'up') {
    const { startUpEarly, cancelEarlyDaemon } = await import('./up-early.js');
    startUpEarly(args);
    try {
      const { main } = await import('./main.js');
      return await main(process.argv);
    } finally {
      cancelEarlyDaemon();
    }
  }
  const { main } = await import('./main.js');
  return main(process.argv);
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Reached only when the error printer itself could not load: say what happened in plain words.
    process.stderr.write(`etcd-lab: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
