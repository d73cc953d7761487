import type { Command } from 'commander';
import { resolve } from 'node:path';
import { isatty } from 'node:tty';
import type { DaemonHandle } from '../daemon.js';
import type { StartProgress } from '../../supervisor/cluster.js';
import type { SupervisorOptions } from '../../supervisor/supervisor.js';
import { LabError } from '../../errors.js';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';
import { commandStartedAt } from '../command-start.js';
import { startMark } from '../../start-trace.js';

export interface UpFlags extends ClusterFlags {
  detach?: boolean;
  fresh?: boolean;
  yes?: boolean;
  parallel?: boolean;
  restart?: 'on-failure' | 'never';
  rawLogs?: boolean;
  readyTimeout?: string;
  grpcProxy?: boolean;
  grpcProxyPort?: string;
}

export function registerUp(program: Command): void {
  addClusterOptions(
    program
      .command('up')
      .description('start the cluster and supervise it (foreground with logs, or -d in the background)')
      .option('-d, --detach', 'return once the cluster is ready, leaving a background supervisor')
      .option('--fresh', 'delete the dir\'s data and start a new cluster')
      .option('-y, --yes', 'do not ask before deleting data with --fresh')
      .option('--parallel', 'start all members at once, like a Procfile runner (slower: members wait for each other)')
      .option('--restart <policy>', 'on-failure (restart a member that exits on its own, with backoff) or never')
      .option('--raw-logs', 'show etcd\'s raw JSON log lines instead of readable ones')
      .option('--ready-timeout <duration>', 'give up if the cluster is not ready within this time', '30s')
      .option('--grpc-proxy', 'also run `etcd grpc-proxy start` in front of the members (on 127.0.0.1:23790, or a free port)')
      .option('--grpc-proxy-port <port>', 'the gRPC proxy\'s port (implies --grpc-proxy)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab up                         # 3 members, logs until Ctrl-C (Ctrl-C again forces)
  $ etcd-lab up -n 5 -d                 # 5 members in the background; stop with etcd-lab down
  $ etcd-lab up -d --dir /tmp/lab --ports auto
  $ etcd-lab up --fresh --yes           # throw the old data away
  $ etcd-lab up --chaos -d              # ready for etcd-lab partition/isolate/cut/delay
  $ etcd-lab up -d --grpc-proxy         # plus a gRPC proxy: etcdctl --endpoints 127.0.0.1:23790 get foo

A dir that holds a stopped cluster is brought back with its data.`,
    )
    .action(async (opts: UpFlags) => {
      process.exitCode = await up(opts);
    });
}

async function up(opts: UpFlags): Promise<number> {
  const startedAt = commandStartedAt();
  const { takeDaemon, cancelEarlyDaemon } = await import('../up-early.js');
  if (!opts.detach) cancelEarlyDaemon();
  // What upWith loads, loaded together while the settings are read (one import after the other waits on each).
  Promise.all([
    import('../../plan/duration.js'),
    import('../../supervisor/prepare-up.js'),
    import('../output.js'),
    import('../progress.js'),
    import('../render-ready.js'),
  ]).catch(() => undefined);
  const settings = await loadSettings(opts);
  startMark('settings read');
  // `up -d`: the background supervisor's process was started by bin.ts, or starts now: its start-up overlaps planning.
  const daemon = opts.detach ? takeDaemon(resolve(settings.spec.dir)) : null;
  try {
    return await upWith(opts, settings, daemon, startedAt);
  } finally {
    daemon?.end();
  }
}

async function upWith(opts: UpFlags, settings: Awaited<ReturnType<typeof loadSettings>>, daemon: DaemonHandle | null, countFrom: number): Promise<number> {
  if (opts.restart !== undefined) {
    if (opts.restart !== 'on-failure' && opts.restart !== 'never') {
      throw new LabError('USAGE', `--restart must be on-failure or never, got "${opts.restart}"`);
    }
    settings.restart = opts.restart;
  }
  const { parseDuration } = await import('../../plan/duration.js');
  const readyTimeoutMs = parseDuration(opts.readyTimeout ?? '30s', '--ready-timeout');
  const { prepareUp } = await import('../../supervisor/prepare-up.js');
  const { info, warn, colors } = await import('../output.js');
  const tty = process.stderr.isTTY === true;
  let drewBar = false;
  const prepared = await prepareUp({
    settings,
    given: settings.given,
    fresh: opts.fresh === true,
    // Without a terminal to ask on, only --yes deletes (prepareUp refuses when there is no one to ask).
    // isatty, not process.stdin.isTTY: that makes the stdin stream, ~3 ms before the start request goes out.
    ...(opts.yes || isatty(0) ? { confirmFresh: async (what: string) => {
      if (opts.yes) return true;
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const a = await rl.question(`Delete ${what} and start a new cluster? [y/N] `);
        return /^y(es)?$/i.test(a.trim());
      } finally {
        rl.close();
      }
    } } : {}),
    onDownloadProgress: async (p) => {
      if (!tty) return;
      const { renderProgressBar } = await import('../../etcd/download.js');
      process.stderr.write(`\rdownloading etcd ${renderProgressBar(p.received, p.total, 30)}`);
      drewBar = true;
    },
    onNote: (t) => info(t),
  });
  if (drewBar) process.stderr.write('\n');
  startMark('planned');
  const { plan, etcd, dir } = prepared;
  let grpcProxyPort: number | undefined;
  if (opts.grpcProxy || opts.grpcProxyPort !== undefined) {
    if (opts.grpcProxyPort !== undefined && !/^\d+$/.test(opts.grpcProxyPort.trim())) {
      throw new LabError('BAD_PORT', `--grpc-proxy-port must be a port number, got "${opts.grpcProxyPort}"`);
    }
    const { chooseGrpcProxyPort } = await import('../../supervisor/grpc-proxy.js');
    grpcProxyPort = await chooseGrpcProxyPort(plan, opts.grpcProxyPort === undefined ? undefined : Number(opts.grpcProxyPort));
  }
  const proxyLines =
    grpcProxyPort === undefined ? [] : [`gRPC proxy 127.0.0.1:${grpcProxyPort} (logs/grpc-proxy.log): etcdctl --endpoints 127.0.0.1:${grpcProxyPort} get foo`];
  for (const w of plan.warnings) warn(w);
  info(
    `${prepared.resumed ? 'resuming' : 'starting'} ${plan.members.length} members in ${dir} (etcd ${etcd.version.text}, ${plan.profile} profile${plan.chaos ? ', chaos mode' : ''}${opts.parallel ? ', all at once' : ''})`,
  );
  const { startProgress } = await import('../progress.js');
  const progress = await startProgress(plan.members.map((m) => m.name), tty);
  const { renderReady } = await import('../render-ready.js');
  const { shellQuote } = await import('../../plan/quote.js');
  // What the supervisor runs, the same whether it runs here or in the background.
  const start: SupervisorOptions = {
    dir,
    plan,
    etcdPath: etcd.path,
    etcdVersion: etcd.version.text,
    restart: settings.restart,
    parallel: opts.parallel === true,
    readyTimeoutMs,
    ...(grpcProxyPort !== undefined ? { grpcProxyPort } : {}),
    countFrom,
  };
  const onProgress = (e: StartProgress): void => progress.update(e);

  if (daemon) {
    try {
      const r = await daemon.start({ start, onProgress });
      await progress.finish(true);
      process.stdout.write(
        renderReady(plan, r, [
          ...proxyLines,
          `supervisor pid ${r.pid}, log ${shellQuote(`${dir}/supervisor.log`)}; stop it with: etcd-lab down --dir ${shellQuote(dir)}`,
        ]),
      );
      return 0;
    } catch (e) {
      await progress.finish(false);
      throw e;
    }
  }

  const { runSupervisor } = await import('../run-supervisor.js');
  const { formatMemberLine } = await import('../log-format.js');
  const { useColor } = await import('../output.js');
  const color = useColor(process.stdout);
  const width = Math.max(...plan.members.map((m) => m.name.length));
  const index = new Map(plan.members.map((m, i) => [m.name, i]));
  const say = (t: string): void => void process.stderr.write(`${colors.dim('etcd-lab |')} ${t}\n`);
  try {
    return await runSupervisor({
      start,
      onProgress,
      say,
      formatLine: (member, text) => formatMemberLine(member, text, { color, raw: opts.rawLogs === true, index: index.get(member) ?? 0, nameWidth: width }),
      onReady: async (sup, ready) => {
        await progress.finish(true);
        process.stdout.write(renderReady(plan, ready, [...proxyLines, `stop with Ctrl-C, or etcd-lab down --dir ${shellQuote(dir)} from another shell`]));
        const status = await sup.cluster.status();
        const ids = new Map<string, string>();
        for (const m of status.members) if (m.id) ids.set(m.id, m.name);
        sup.cluster.on('line', (member: string, text: string) => {
          process.stdout.write(
            `${formatMemberLine(member, text, { color, raw: opts.rawLogs === true, index: index.get(member) ?? 0, nameWidth: width, ids })}\n`,
          );
        });
      },
    });
  } catch (e) {
    await progress.finish(false);
    throw e;
  }
}
