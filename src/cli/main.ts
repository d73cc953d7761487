import { Command, CommanderError } from 'commander';
import { printError } from './output.js';
import { packageVersion } from './version.js';
import { registerPlan } from './commands/plan.js';
import { registerProcfile } from './commands/procfile.js';
import { registerInit } from './commands/init.js';
import { registerUp } from './commands/up.js';
import { registerSupervise } from './commands/supervise.js';
import { registerStatus } from './commands/status.js';
import { registerDown } from './commands/down.js';
import { registerRun } from './commands/run.js';
import { registerLogs } from './commands/logs.js';
import { registerStart } from './commands/start.js';
import { registerFaults } from './commands/faults.js';
import { registerDemo } from './commands/demo.js';
import { registerChaos } from './commands/chaos.js';
import { registerMember } from './commands/member.js';
import { registerEnv } from './commands/env.js';
import { registerSnapshot } from './commands/snapshot.js';

export function buildProgram(): Command {
  const program = new Command('etcd-lab')
    .description('Real multi-member etcd clusters on this machine: start them in under a second, export Procfiles, and break them on purpose to watch Raft re-elect a leader.')
    .version(packageVersion(), '-v, --version', 'print the etcd-lab version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.addHelpText(
    'after',
    `
Examples:
  $ etcd-lab up                     # 3 members on 2379/22379/32379, logs until Ctrl-C
  $ etcd-lab up -n 5 -d             # 5 members in the background
  $ etcd-lab status                 # who leads, terms, revisions
  $ etcd-lab procfile -n 5 -o Procfile
  $ etcd-lab plan -n 3 --json

Exit codes: 0 ok, 1 failure, 2 bad input, 3 no cluster running.`,
  );
  registerUp(program);
  registerStatus(program);
  registerLogs(program);
  registerRun(program);
  registerDown(program);
  registerFaults(program);
  registerDemo(program);
  registerChaos(program);
  registerMember(program);
  registerEnv(program);
  registerSnapshot(program);
  registerPlan(program);
  registerProcfile(program);
  registerInit(program);
  registerSupervise(program);
  registerStart(program);
  return program;
}

/** Runs the CLI; returns the exit code. The only place that turns errors into exit codes. */
export async function main(argv: string[]): Promise<number> {
  // `etcd-lab ... | head`: a reader that goes away is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    return printError(e);
  }
}
