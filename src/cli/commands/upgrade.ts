import type { Command } from 'commander';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { UpgradeResult } from '../../supervisor/upgrade.js';

interface UpgradeFlags {
  dir?: string;
  config?: string;
  etcd: string;
  json?: boolean;
}

export function registerUpgrade(program: Command): void {
  addDirOptions(
    program
      .command('upgrade')
      .description('rolling upgrade: replace members of the running cluster by another etcd binary, one at a time, the leader last')
      .argument('<member>', 'a member name, or all')
      .requiredOption('--etcd <path>', 'the new etcd binary')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText(
      'after',
      `
Each member in turn: SIGTERM (a leader hands its leadership over first), then the new binary on the same data
dir, with the flags its version needs; the next one goes once it is healthy and the cluster has a leader.
Followers go first, the leader last, so the cluster keeps serving. A member that is down is started on the new
binary, before any running member stops. The supervisor remembers each member's binary: restarts, chaos and
a later \`etcd-lab up\` keep it.

Refused, with nothing changed, as etcd does not support them: a downgrade (3.6 has its own procedure:
etcdctl downgrade), skipping a minor version (3.4 -> 3.6: go through 3.5), a binary older than 3.4.

Examples:
  $ etcd-lab upgrade all --etcd ~/etcd-v3.6.14/etcd
  $ etcd-lab upgrade m2 --etcd /opt/etcd-3.5.30/etcd   # one member: a mixed-version cluster
  $ etcd-lab status                                     # VERSION column and the cluster version`,
    )
    .action(async (member: string, opts: UpgradeFlags) => {
      const dir = await stateDirFrom(opts);
      const [{ flagPath }, { readEtcdVersion }, { assertSupported }] = await Promise.all([
        import('../../etcd/which.js'),
        import('../../etcd/binary.js'),
        import('../../etcd/version.js'),
      ]);
      // Checked here too, so that the message names the flag as the user wrote it.
      const etcdPath = flagPath(opts.etcd, process.env);
      const where = `--etcd ${opts.etcd}`;
      assertSupported(await readEtcdVersion(etcdPath, { where }), where);
      const { supervisorFor } = await import('../supervisor-client.js');
      const { info } = await import('../output.js');
      const c = await supervisorFor(dir);
      let r: UpgradeResult;
      try {
        const stream = c.stream('upgrade', { member, etcdPath }, (e) => {
          if (e.event === 'progress' && typeof e.text === 'string' && !opts.json) info(e.text);
        });
        r = (await stream.done) as UpgradeResult;
      } finally {
        c.close();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const { renderUpgrade } = await import('../render-upgrade.js');
      process.stdout.write(renderUpgrade(r));
    });
}
