import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LabError } from '../../errors.js';
import type { StaggerDoneEvent, StaggerEvent } from '../../supervisor/procfile-runner.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';

interface StartFlags {
  procfile: string;
  basePort: string;
  env?: string;
  dir?: string;
  config?: string;
  grace: string;
  restart: string;
  rawLogs?: boolean;
  allAtOnce?: boolean;
}

export function registerStart(program: Command): void {
  addDirOptions(
    program
      .command('start')
      .description('run any Procfile like goreman: sh -c, $PORT, .env, prefixed output; `etcd-lab run` controls it')
      .argument('[names...]', 'run only these Procfile entries')
      .option('-f, --procfile <file>', 'the Procfile to run', 'Procfile')
      .option('-b, --base-port <n>', 'PORT of the first entry; every further entry gets 100 more', '5000')
      .option('-e, --env <file>', 'KEY=value file for every entry (default .env when present; set variables win)')
      .option('--grace <duration>', 'on stop: SIGTERM to each process group, SIGKILL after this long', '3s')
      .option('--restart <policy>', 'never, or on-failure (restart an entry that fails, with backoff)', 'never')
      .option('--raw-logs', "show etcd's JSON log lines as they are")
      .option('--all-at-once', 'start every entry at once, even the etcd members of a new cluster (no bootstrap anchor first)'),
  )
    .addHelpText(
      'after',
      `
Every entry runs as \`sh -c <command>\` in its own process group, in the current directory, with PORT set
(5000, 5100, ... in Procfile order, or from -b). An entry that exits is reported; the others keep running.
Ctrl-C, SIGTERM or SIGHUP stops everything (SIGTERM, then SIGKILL after --grace); Ctrl-C again kills at once.
When 2 or more entries are etcd members bootstrapping one new cluster (no WAL in their data dirs yet), the
member the others' bootstrap checks ask first starts first, and the other members once it is past its own check
(at most 2 s later), as \`etcd-lab up\` does: starting them all at once can stall for seconds. Other entries, and
members that restart from their data, start at once. --all-at-once starts everything together, like goreman.

Examples:
  $ etcd-lab start                        # ./Procfile, e.g. etcd's own (three members infra1..3)
  $ etcd-lab start -f Procfile.dev etcd1 etcd2
  $ etcd-lab start -b 8000 -e dev.env --restart on-failure
  $ etcd-lab start -f Procfile --all-at-once   # every entry at once, as goreman and foreman do
From another shell (same --dir):
  $ etcd-lab run stop etcd2               # SIGTERM to its process group; it stays down
  $ etcd-lab run start etcd2
  $ etcd-lab run status                   # or: etcd-lab status (leader, terms for etcd entries)
  $ etcd-lab down                         # stop everything, like Ctrl-C`,
    )
    .action(async (names: string[], opts: StartFlags) => {
      process.exitCode = await start(names, opts);
    });
}

function readInput(file: string, what: string, hint: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new LabError('USAGE', `cannot read the ${what} ${file}: ${why}`, { hint, cause: e });
  }
}

async function start(names: string[], opts: StartFlags): Promise<number> {
  const { commandStartedAt } = await import('../command-start.js');
  const countFrom = commandStartedAt();
  if (!/^\d+$/.test(opts.basePort) || Number(opts.basePort) < 1 || Number(opts.basePort) > 65535) {
    throw new LabError('BAD_PORT', `--base-port must be a port number (1-65535), got "${opts.basePort}"`);
  }
  if (opts.restart !== 'never' && opts.restart !== 'on-failure') {
    throw new LabError('USAGE', `--restart must be never or on-failure, got "${opts.restart}"`);
  }
  const { parseDuration, formatDuration } = await import('../../plan/duration.js');
  const graceMs = parseDuration(opts.grace, '--grace');
  const dir = await stateDirFrom(opts);
  const { parseProcfile } = await import('../../plan/procfile.js');
  const { parseDotenv } = await import('../../plan/dotenv.js');
  const { planProcfileRun, etcdEntryInfo } = await import('../../supervisor/procfile-runner.js');

  const file = opts.procfile;
  const entries = parseProcfile(
    readInput(file, 'Procfile', 'pass the Procfile with -f, or write one with `etcd-lab procfile -o Procfile`'),
    file,
  );
  const envFile = opts.env ?? (existsSync('.env') ? '.env' : undefined);
  const dotenv = envFile === undefined ? {} : parseDotenv(readInput(envFile, 'env file', 'pass an existing file with -e'), envFile);
  const jobs = planProcfileRun({ entries, only: names, basePort: Number(opts.basePort), parentEnv: process.env, dotenv, file });

  const { ProcfileRunner } = await import('../../supervisor/procfile-runner.js');
  const { killAllGroupsSync } = await import('../../supervisor/process.js');
  const { formatMemberLine } = await import('../log-format.js');
  const { useColor, colors } = await import('../output.js');
  const { shellQuote } = await import('../../plan/quote.js');
  const { describeExit } = await import('../../supervisor/exit-report.js');
  const { relative } = await import('node:path');

  const runner = ProcfileRunner.open({ dir, jobs, cwd: process.cwd(), restart: opts.restart, allAtOnce: opts.allAtOnce === true });
  const crash = (e: unknown): void => {
    killAllGroupsSync();
    process.stderr.write(`etcd-lab start crashed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const say = (t: string): void => void process.stderr.write(`${colors.dim('etcd-lab |')} ${t}\n`);
  const color = useColor(process.stdout);
  const width = Math.max(...jobs.map((j) => j.name.length));
  const index = new Map(jobs.map((j) => [j.name, j.index]));
  runner.on('line', (name: string, text: string) => {
    process.stdout.write(`${formatMemberLine(name, text, { color, raw: opts.rawLogs === true, index: index.get(name) ?? 0, nameWidth: width })}\n`);
  });
  runner.on('spawn', (e: { name: string; pid: number | null; port: number }) => say(`${e.name} started (pid ${e.pid ?? '?'}, PORT=${e.port})`));
  runner.on('stop', (e: { name: string }) => say(`${e.name} stopped on request; start it again with etcd-lab run start ${e.name}`));
  runner.on('exit', (e: { name: string; code: number | null; signal: string | null; lastLines: string[] }) => {
    say(`${e.name} exited on its own (${describeExit(e)})`);
  });
  runner.on('restart', (e: { name: string; attempt: number; delayMs: number }) => say(`restarting ${e.name} in ${e.delayMs} ms (attempt ${e.attempt})`));
  runner.on('stagger', (e: StaggerEvent) => {
    say(`starting ${e.anchor} first (the bootstrap anchor of ${e.members} etcd members; --all-at-once to start all together)`);
  });
  runner.on('stagger-done', (e: StaggerDoneEvent) => {
    const why = {
      'past-check': `${e.anchor} is past its bootstrap check`,
      'peer-port': `${e.anchor}'s peer port accepts connections`,
      exited: `${e.anchor} exited`,
      cap: `${e.anchor} gave no sign`,
    }[e.sign];
    say(`${why} after ${e.afterMs} ms: starting the rest`);
  });
  let runnerStarted = 0;
  runner.once('spawn', () => (runnerStarted = performance.now()));

  let exitCode = 0;
  let signals = 0;
  let stopping = false;
  const stop = (why: string, grace: number): void => {
    if (!stopping) say(`stopping (${why}): SIGTERM to every process group, SIGKILL after ${formatDuration(grace)}`);
    stopping = true;
    void runner.shutdown(grace);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) stop(sig, graceMs);
    else {
      say(`${sig} again: killing every process group now`);
      void runner.shutdown(0);
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  runner.on('down-requested', (grace: number) => stop('etcd-lab down', grace));
  runner.on('all-ended', (e: { failed: boolean }) => {
    exitCode = e.failed ? 1 : 0;
    stop('every process has ended', graceMs);
  });
  const stopped = new Promise<void>((resolve) => runner.once('stopped', () => resolve()));

  const shownDir = relative(process.cwd(), dir) || '.';
  say(`running ${jobs.length} process${jobs.length === 1 ? '' : 'es'} from ${file}; stop with Ctrl-C, or etcd-lab down --dir ${shellQuote(shownDir)}`);
  const untilStop = new AbortController();
  runner.once('stopping', () => untilStop.abort());
  await runner.start();
  // The etcd members among the entries: say when they form a cluster, counted from the command's start.
  const { waitProcfileReady } = await import('../../supervisor/procfile-ready.js');
  const { msSince } = await import('../../supervisor/ready-figure.js');
  void waitProcfileReady(() => runner.status(), { until: untilStop.signal, timeoutMs: 60_000 }).then((r) => {
    if (r === null) return;
    const n = jobs.filter((j) => etcdEntryInfo(j.command) !== null).length;
    say(`cluster ready in ${msSince(countFrom)} ms (runner ${Math.round(performance.now() - runnerStarted)} ms): ${n} etcd member${n === 1 ? '' : 's'}, leader ${r.leader}`);
  }, () => undefined);
  await stopped;
  say('stopped: no process is running');
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
  process.off('uncaughtException', crash);
  process.off('unhandledRejection', crash);
  return exitCode;
}
