import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';

interface DownFlags {
  dir?: string;
  config?: string;
  clean?: boolean;
  grace?: string;
  timeout?: string;
}

export function registerDown(program: Command): void {
  addDirOptions(
    program
      .command('down')
      .description('stop the cluster: followers first, the leader last, then the supervisor')
      .option('--clean', "also delete what etcd-lab made in the state dir (data, logs, plan), and the dir when nothing else is left")
      .option('--grace <duration>', 'how long each member gets to exit on SIGTERM before SIGKILL', '3s')
      .option('--timeout <duration>', 'give up waiting for the supervisor after this long', '30s'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab down\n  $ etcd-lab down --clean --dir /tmp/lab')
    .action(async (opts: DownFlags) => {
      const dir = await stateDirFrom(opts);
      const { parseDuration } = await import('../../plan/duration.js');
      const graceMs = parseDuration(opts.grace ?? '3s', '--grace');
      const timeoutMs = parseDuration(opts.timeout ?? '30s', '--timeout');
      const { liveSupervisor } = await import('../../supervisor/state-dir.js');
      const { reapStale } = await import('../../supervisor/reap.js');
      const { pidAlive } = await import('../../supervisor/proc-info.js');
      const live = liveSupervisor(dir);
      let did = false;
      if (live) {
        const { connectControl } = await import('../../supervisor/control-client.js');
        const c = await connectControl(dir);
        try {
          await c.request('down', { graceMs }, 5000);
        } finally {
          c.close();
        }
        const deadline = Date.now() + timeoutMs;
        while (pidAlive(live.pid) && liveSupervisor(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        if (liveSupervisor(dir)) {
          throw new LabError('CONTROL', `the supervisor (pid ${live.pid}) did not stop within ${timeoutMs} ms`, {
            hint: `kill it with \`kill ${live.pid}\`, then run etcd-lab down again to reap its members`,
          });
        }
        process.stderr.write(`stopped the cluster in ${dir} (supervisor pid ${live.pid})\n`);
        did = true;
      }
      const reaped = await reapStale(dir, { graceMs });
      for (const r of reaped) {
        process.stderr.write(`reaped ${r.name ?? 'a member'} (pid ${r.pid}, ${r.outcome}) left running by a supervisor that died\n`);
      }
      const survivors = reaped.filter((r) => r.outcome === 'survived');
      if (survivors.length > 0) {
        throw new LabError('CONTROL', `could not stop pid ${survivors.map((s) => s.pid).join(', ')}`);
      }
      did ||= reaped.length > 0;
      if (opts.clean && existsSync(dir)) {
        const { removeStateDir } = await import('../../supervisor/owned-files.js');
        const { kept, removedDir } = removeStateDir(dir);
        if (removedDir) process.stderr.write(`deleted ${dir}\n`);
        else if (kept.length > 0) process.stderr.write(`deleted what etcd-lab made in ${dir}; kept what it did not make: ${kept.join(', ')}\n`);
        else process.stderr.write(`deleted what etcd-lab made in ${dir} (a symlink: the link and the folder it names stay)\n`);
        return;
      }
      if (!did) {
        throw new LabError('NOT_RUNNING', `nothing is running in ${dir}`, {
          hint: existsSync(dir) ? `delete its data with \`etcd-lab down --clean --dir ${dir}\`` : 'pass the --dir the cluster was started with',
        });
      }
    });
}
