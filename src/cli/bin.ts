#!/usr/bin/env node
// Two paths skip the command tree (commander and every command module, ~55 ms of loading): `--version`, which
// people and scripts run cold, and the background supervisor of `up -d`, whose start is on the path to ready.
// `up -d` itself spawns that supervisor before loading the tree (up-early.ts). The built supervisor runs from bundles of
// its own (supervisor-first.ts, then supervise.ts), not from this one.
import { enter, exitWith, supervise } from './entry.js';

const args = process.argv.slice(2);
enter(args.length === 1 && args[0] === '__supervise' ? 'supervisor' : 'command');

async function run(): Promise<number> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    const { packageVersion } = await import('./version.js');
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  // Run from here only without the supervisor's bundle (supervise.ts): a build without it, or dist/cli/bin.js run
  // directly.
  if (args.length === 1 && args[0] === '__supervise') return supervise();
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

exitWith(run());
