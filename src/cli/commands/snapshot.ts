import type { Command } from 'commander';
import { LabError } from '../../errors.js';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';

interface SaveFlags {
  dir?: string;
  config?: string;
  force?: boolean;
  timeout?: string;
}

interface RestoreFlags extends ClusterFlags {
  up?: boolean;
  skipHashCheck?: boolean;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;
}

export function registerSnapshot(program: Command): void {
  const snapshot = program
    .command('snapshot')
    .description('save a snapshot of the running cluster, or restore one into a new cluster')
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab snapshot save backup.db
  $ etcd-lab snapshot restore backup.db --dir /tmp/copy --ports auto --up`,
    );

  addDirOptions(
    snapshot
      .command('save')
      .argument('<file>', 'where to write the snapshot')
      .description("save a snapshot from the leader (etcdctl snapshot save), atomically: FILE is whole or untouched")
      .option('-f, --force', 'replace FILE if it exists')
      .option('--timeout <duration>', 'give up after this long', '2m'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab snapshot save backup.db
  $ etcd-lab snapshot save /tmp/lab.db --dir /tmp/lab --force`,
    )
    .action(async (file: string, opts: SaveFlags) => {
      const dir = await stateDirFrom(opts);
      const { parseDuration } = await import('../../plan/duration.js');
      const timeoutMs = parseDuration(opts.timeout ?? '2m', '--timeout');
      const { supervisorFor } = await import('../supervisor-client.js');
      const { readJson, readState, statePaths } = await import('../../supervisor/state-dir.js');
      const { parseEtcdVersionOutput } = await import('../../etcd/version.js');
      const { leaderOf, saveSnapshot, snapshotTools } = await import('../../supervisor/snapshot.js');
      const { refuseProcfileRunner } = await import('../refuse-procfile-runner.js');
      refuseProcfileRunner(dir, 'snapshot save');
      const c = await supervisorFor(dir);
      let report: import('../../supervisor/status.js').StatusReport;
      try {
        report = (await c.request('status', {}, 5000)) as typeof report;
      } finally {
        c.close();
      }
      const leader = leaderOf(report);
      const state = readState(dir);
      if (!state) throw new LabError('NOT_RUNNING', `no state.json in ${dir}`, { hint: 'start the cluster with `etcd-lab up -d`' });
      const version = parseEtcdVersionOutput(`etcd Version: ${state.etcdVersion}`, state.etcdPath);
      const { clientTlsFiles } = await import('../../supervisor/pki.js');
      const tls = clientTlsFiles(readJson<import('../../plan/types.js').ClusterPlan>(statePaths(dir).plan));
      const saved = await saveSnapshot({ endpoint: leader.clientURL, file, tools: snapshotTools(state.etcdPath, version), force: opts.force === true, timeoutMs, tls });
      process.stdout.write(
        `saved ${file} from ${leader.name} (leader, ${leader.clientURL}) in ${saved.elapsedMs} ms: revision ${saved.revision}, ${kib(saved.totalSize)}\n`,
      );
    });

  addClusterOptions(
    snapshot
      .command('restore')
      .argument('<file>', 'a snapshot written by etcd-lab snapshot save or etcdctl snapshot save')
      .description('restore a snapshot into a NEW cluster in --dir (one restored data dir per member), ready for etcd-lab up')
      .option('--up', 'start the restored cluster in the background right away (etcd-lab up -d)')
      .option('--skip-hash-check', 'accept a db file copied out of a data dir (it has no snapshot hash)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab snapshot restore backup.db --dir /tmp/copy --ports 12379
  $ etcd-lab up -d --dir /tmp/copy
  $ etcd-lab snapshot restore backup.db --dir /tmp/copy -n 5 --ports auto --up

--dir must not hold a cluster. The new cluster gets its own member IDs and cluster token; the keys and
revisions are the snapshot's. Cluster options (-n, --ports, --chaos, ...) are those of etcd-lab up.`,
    )
    .action(async (file: string, opts: RestoreFlags) => {
      process.exitCode = await restore(file, opts);
    });
}

async function restore(file: string, opts: RestoreFlags): Promise<number> {
  if (opts.dir === undefined) {
    throw new LabError('USAGE', 'snapshot restore needs --dir: the state dir of the new cluster', {
      hint: 'e.g. etcd-lab snapshot restore backup.db --dir /tmp/restored',
    });
  }
  const { resolve } = await import('node:path');
  const settings = await loadSettings(opts);
  const dir = resolve(settings.spec.dir);
  const { assertNoCluster, restoreSnapshot, snapshotTools } = await import('../../supervisor/snapshot.js');
  assertNoCluster(dir);
  const { preparePlan } = await import('../../prepare.js');
  const { warn, info } = await import('../output.js');
  const { shellQuote } = await import('../../plan/quote.js');
  const { plan, etcd } = await preparePlan({ ...settings, spec: { ...settings.spec, dir } }, { needBinary: true, allowDownload: true });
  for (const w of plan.warnings) warn(w);
  if (opts.up) {
    // The peer URLs are written into the restored data: ports busy now could only be fixed by restoring again.
    const { checkPortsFree } = await import('../../supervisor/ports.js');
    await checkPortsFree(plan);
  }
  const tools = snapshotTools(etcd!.path, etcd!.version);
  const r = await restoreSnapshot({ file, plan, tools, skipHashCheck: opts.skipHashCheck === true });
  const width = Math.max(...plan.members.map((m) => m.name.length));
  process.stdout.write(
    [
      `restored ${file} (revision ${r.revision}, ${kib(r.totalSize)}) into a new ${plan.members.length}-member cluster in ${dir} in ${r.elapsedMs} ms (${r.tool}, etcd ${etcd!.version.text}):`,
      ...plan.members.map((m) => `  ${m.name.padEnd(width)}  ${m.clientURL}`),
      ...(opts.up ? [] : [`start it with: etcd-lab up -d --dir ${shellQuote(dir)}`]),
      '',
    ].join('\n'),
  );
  if (!opts.up) return 0;
  info(`starting it: etcd-lab up -d --dir ${shellQuote(dir)}`);
  const [{ spawn }, { commandStartedAt, passCommandStart }] = await Promise.all([import('node:child_process'), import('../command-start.js')]);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'up', '-d', '--dir', dir, '--etcd', etcd!.path], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // Its "cluster ready in" counts from this command's start, which the user typed.
    env: passCommandStart(process.env, commandStartedAt()),
  });
  return new Promise((done, fail) => {
    child.on('error', (e) => fail(new LabError('NOT_READY', `cannot start etcd-lab up: ${e.message}`, { hint: `run it yourself: etcd-lab up -d --dir ${shellQuote(dir)}` })));
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
