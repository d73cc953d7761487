import type { Command } from 'commander';

/** The background supervisor of `up -d` (hidden: started by the parent with an IPC channel). */
export function registerSupervise(program: Command): void {
  program
    .command('__supervise', { hidden: true })
    .description('run a background supervisor (internal)')
    .action(async () => {
      const { daemonMain } = await import('../daemon.js');
      process.exitCode = await daemonMain();
    });
}
