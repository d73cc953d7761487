import { Command, CommanderError } from 'commander';
import { printError } from './output.js';
import { packageVersion } from './version.js';

type Register = (program: Command) => void;

/**
 * Every command module, in the order `--help` lists them, with the command names it registers. A command line that
 * names one of them loads only that module (each pulls in what its actions need only when they run).
 */
const COMMANDS: { names: string[]; load: () => Promise<Register> }[] = [
  { names: ['up'], load: async () => (await import('./commands/up.js')).registerUp },
  { names: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  { names: ['logs'], load: async () => (await import('./commands/logs.js')).registerLogs },
  { names: ['run'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['down'], load: async () => (await import('./commands/down.js')).registerDown },
  {
    names: ['kill', 'pause', 'resume', 'restart', 'partition', 'isolate', 'cut', 'delay', 'drop', 'heal', 'links'],
    load: async () => (await import('./commands/faults.js')).registerFaults,
  },
  { names: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemo },
  { names: ['chaos'], load: async () => (await import('./commands/chaos.js')).registerChaos },
  { names: ['report'], load: async () => (await import('./commands/report.js')).registerReport },
  { names: ['check'], load: async () => (await import('./commands/check.js')).registerCheck },
  { names: ['member'], load: async () => (await import('./commands/member.js')).registerMember },
  { names: ['upgrade'], load: async () => (await import('./commands/upgrade.js')).registerUpgrade },
  { names: ['env'], load: async () => (await import('./commands/env.js')).registerEnv },
  { names: ['snapshot'], load: async () => (await import('./commands/snapshot.js')).registerSnapshot },
  { names: ['plan'], load: async () => (await import('./commands/plan.js')).registerPlan },
  { names: ['export'], load: async () => (await import('./commands/export.js')).registerExport },
  { names: ['netns'], load: async () => (await import('./commands/netns.js')).registerNetns },
  { names: ['procfile'], load: async () => (await import('./commands/procfile.js')).registerProcfile },
  { names: ['init'], load: async () => (await import('./commands/init.js')).registerInit },
  { names: ['__supervise'], load: async () => (await import('./commands/supervise.js')).registerSupervise },
  { names: ['start'], load: async () => (await import('./commands/start.js')).registerStart },
];

/** The command names each module registers (tests check this table against the modules). */
export const COMMAND_NAMES: readonly (readonly string[])[] = COMMANDS.map((c) => c.names);

/** The whole program, or only the command `only` names (help, `help <cmd>` and unknown names need the whole). */
export async function buildProgram(only?: string): Promise<Command> {
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
  const one = only === undefined ? undefined : COMMANDS.find((c) => c.names.includes(only));
  const registers = await Promise.all((one ? [one] : COMMANDS).map((c) => c.load()));
  for (const register of registers) register(program);
  return program;
}

/** Runs the CLI; returns the exit code. The only place that turns errors into exit codes. */
export async function main(argv: string[], build: (only?: string) => Promise<Command> = buildProgram): Promise<number> {
  // `etcd-lab ... | head`: a reader that goes away is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  try {
    // Inside the try: a command module that fails to load is reported like any other error, not a silent exit 1.
    const program = await build(argv[2]);
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
