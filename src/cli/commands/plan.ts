import { Command } from 'commander';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';

export function registerPlan(program: Command): void {
  addClusterOptions(
    program
      .command('plan')
      .description('show the whole cluster plan: members, URLs, ports, data dirs, etcd arguments, quorum')
      .option('--json', 'print the plan as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab plan -n 5\n  $ etcd-lab plan -n 3 --ports auto --json\n  $ etcd-lab plan --etcd-version 3.6 --profile default')
    .action(async (opts: ClusterFlags & { json?: boolean }) => {
      const settings = await loadSettings(opts);
      const { preparePlan } = await import('../../prepare.js');
      const { renderPlan } = await import('../render-plan.js');
      const { warn, printJson } = await import('../output.js');
      const { plan, etcd } = await preparePlan(settings, { needBinary: false });
      for (const w of plan.warnings) warn(w);
      if (opts.json) printJson({ ...plan, etcdPath: etcd?.path ?? null });
      else process.stdout.write(renderPlan(plan, etcd?.path ?? null));
    });
}
