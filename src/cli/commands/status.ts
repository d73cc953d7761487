import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { StatusReport } from '../../supervisor/status.js';

interface StatusFlags {
  dir?: string;
  config?: string;
  json?: boolean;
  watch?: boolean;
  interval?: string;
}

/** The report of a dir whose supervisor is not running: every member stopped. */
async function stoppedReport(dir: string): Promise<StatusReport | null> {
  const { statePaths, readJson } = await import('../../supervisor/state-dir.js');
  const paths = statePaths(dir);
  if (!existsSync(paths.plan)) return null;
  const plan = readJson<import('../../plan/types.js').ClusterPlan>(paths.plan);
  return {
    dir,
    leader: null,
    leaderTerm: null,
    clusterVersion: null,
    members: plan.members.map((m) => ({
      name: m.name,
      state: 'stopped',
      pid: null,
      id: null,
      clientURL: m.clientURL,
      peerURL: m.peerURL,
      isLearner: false,
      isLeader: false,
      raftTerm: null,
      raftIndex: null,
      revision: null,
      dbSize: null,
      version: null,
    })),
  };
}

export async function readStatus(dir: string): Promise<{ report: StatusReport; running: boolean }> {
  const { liveSupervisor } = await import('../../supervisor/state-dir.js');
  if (liveSupervisor(dir)) {
    const { connectControl } = await import('../../supervisor/control-client.js');
    const c = await connectControl(dir);
    try {
      return { report: (await c.request('status', {}, 5000)) as StatusReport, running: true };
    } finally {
      c.close();
    }
  }
  const { reapStale } = await import('../../supervisor/reap.js');
  const reaped = await reapStale(dir);
  for (const r of reaped) process.stderr.write(`reaped ${r.name ?? 'a member'} (pid ${r.pid}) left running by a supervisor that died\n`);
  const report = await stoppedReport(dir);
  if (!report) {
    throw new LabError('NOT_RUNNING', `no etcd-lab cluster in ${dir}`, { hint: 'start one with `etcd-lab up` (or pass --dir)' });
  }
  return { report, running: false };
}

/** The shortest --interval of `status --watch`. */
const MIN_INTERVAL_MS = 100;

/** `status --watch --json`: one JSON object a line, for jq and scripts (no header, no redraw), until Ctrl-C. */
async function watchJson(dir: string, every: number): Promise<void> {
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  while (!stop) {
    const at = new Date().toISOString();
    let line: object;
    try {
      line = { at, ...(await readStatus(dir)).report };
    } catch (e) {
      const err = e as LabError;
      line = { at, error: { code: err.code ?? 'INTERNAL', message: err.message } };
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
    const until = Date.now() + every;
    while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, every)));
  }
}

export function registerStatus(program: Command): void {
  addDirOptions(
    program
      .command('status')
      .description('show every member: pid, state, leader, raft term and index, revision, db size, etcd version; and the cluster version')
      .option('--json', 'print the status as JSON')
      .option('-w, --watch', 'redraw until Ctrl-C (with --json: one status object a line, with its time as "at")')
      .option('--interval <duration>', `refresh interval with --watch (at least ${MIN_INTERVAL_MS} ms)`, '1s'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ etcd-lab status\n  $ etcd-lab status --json | jq .leader\n  $ etcd-lab status --watch --dir /tmp/lab\n  $ etcd-lab status --watch --json --interval 500ms | jq -c \'[.at, .leader]\'',
    )
    .action(async (opts: StatusFlags) => {
      const dir = await stateDirFrom(opts);
      const { renderStatusTable } = await import('../render-status.js');
      const { useColor, printJson } = await import('../output.js');
      const color = useColor(process.stdout);
      const render = (r: { report: StatusReport; running: boolean }): string =>
        `${renderStatusTable(r.report, { color }).trimEnd()}\n${r.running ? '' : `no supervisor is running: the cluster is stopped (start it with etcd-lab up --dir ${dir})\n`}`;
      if (!opts.watch) {
        const r = await readStatus(dir);
        if (opts.json) printJson(r.report);
        else process.stdout.write(render(r));
        return;
      }
      const { parseDuration } = await import('../../plan/duration.js');
      const every = parseDuration(opts.interval ?? '1s', '--interval');
      // Each round asks every member: faster than this only loads the cluster being watched.
      if (every < MIN_INTERVAL_MS) throw new LabError('USAGE', `--interval must be at least ${MIN_INTERVAL_MS} ms, got ${opts.interval}`, { hint: 'e.g. --interval 500ms' });
      if (opts.json) return watchJson(dir, every);
      const tty = process.stdout.isTTY === true;
      const logUpdate = tty ? (await import('log-update')).default : null;
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        let text: string;
        try {
          text = render(await readStatus(dir));
        } catch (e) {
          text = `${(e as Error).message}\n`;
        }
        const stamped = `${new Date().toLocaleTimeString()}  ${dir}\n${text}`;
        if (logUpdate) logUpdate(stamped.trimEnd());
        else process.stdout.write(`${stamped}\n`);
        const until = Date.now() + every;
        while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, every)));
      }
      logUpdate?.done();
    });
}
