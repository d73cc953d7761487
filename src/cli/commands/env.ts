import { Option, type Command } from 'commander';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { EnvFormat } from '../render-env.js';

interface EnvFlags {
  dir?: string;
  config?: string;
  format?: EnvFormat;
  keyspace?: string;
}

export function registerEnv(program: Command): void {
  addDirOptions(
    program
      .command('env')
      .description("print the cluster's client settings: etcdctl environment variables, JSON, or an etcd:// URL")
      .addOption(new Option('--format <format>', 'shell (export line), json, or etcd-url').choices(['shell', 'json', 'etcd-url']).default('shell'))
      .option('--keyspace <path>', 'path of the etcd:// URL (--format etcd-url), e.g. myapp/config'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(etcd-lab env)"              # then plain etcdctl talks to the cluster
  $ etcd-lab env --format json | jq -r .ETCDCTL_ENDPOINTS
  $ etcd-lab env --format etcd-url --keyspace myapp
  etcd://127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379/myapp

Works whether the cluster runs or not (a stopped one is mentioned on stderr).`,
    )
    .action(async (opts: EnvFlags) => {
      const format = opts.format ?? 'shell';
      if (opts.keyspace !== undefined && format !== 'etcd-url') {
        throw new LabError('USAGE', `--keyspace only applies to --format etcd-url (got --format ${format})`);
      }
      const dir = await stateDirFrom(opts);
      const { refuseProcfileRunner } = await import('../refuse-procfile-runner.js');
      refuseProcfileRunner(dir, 'env');
      const { statePaths, readJson, liveSupervisor } = await import('../../supervisor/state-dir.js');
      const { shellQuote } = await import('../../plan/quote.js');
      let plan: import('../../plan/types.js').ClusterPlan;
      try {
        plan = readJson(statePaths(dir).plan);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        throw new LabError('NOT_RUNNING', `no etcd-lab cluster in ${dir}`, {
          hint: 'start one with `etcd-lab up -d` (or pass the --dir it was started with)',
        });
      }
      if (!Array.isArray(plan?.members)) {
        throw new LabError('DIR_MISMATCH', `${statePaths(dir).plan} is not an etcd-lab plan`, { hint: 'use another --dir' });
      }
      const { renderEnv } = await import('../render-env.js');
      const { clientTlsFiles } = await import('../../supervisor/pki.js');
      const source = { endpoints: plan.members.map((m) => m.clientURL), tls: clientTlsFiles(plan) };
      const text = renderEnv(source, format, opts.keyspace !== undefined ? { keyspace: opts.keyspace } : {});
      if (!liveSupervisor(dir)) {
        process.stderr.write(`note: the cluster in ${dir} is stopped; start it with: etcd-lab up -d --dir ${shellQuote(dir)}\n`);
      }
      process.stdout.write(text);
    });
}
