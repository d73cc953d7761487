import { Command } from 'commander';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';
import { addHostsOptions, type HostsFlags } from '../hosts-options.js';

export function registerPlan(program: Command): void {
  addHostsOptions(addClusterOptions(
    program
      .command('plan')
      .description('show the whole cluster plan: members, URLs, ports, data dirs, etcd arguments, quorum')
      .option('--json', 'print the plan as JSON'),
  ))
    .addHelpText('after', '\nExamples:\n  $ etcd-lab plan -n 5\n  $ etcd-lab plan -n 3 --ports auto --json\n  $ etcd-lab plan --etcd-version 3.6 --profile default\n  $ etcd-lab plan --hosts 10.0.1.10,10.0.1.11,10.0.1.12\n  $ etcd-lab plan --hosts 10.0.1.10,10.0.1.11,10.0.1.12 --bootstrap dns --dns-domain etcd.example.com')
    .action(async (opts: ClusterFlags & HostsFlags & { json?: boolean }) => {
      const settings = await loadSettings(opts);
      if (settings.hosts) {
        const { prepareHostsPlan } = await import('../../prepare-hosts.js');
        const { renderHostsPlan } = await import('../render-hosts-plan.js');
        const { warn, printJson } = await import('../output.js');
        const { plan, etcdPath } = await prepareHostsPlan(settings, { ...opts, given: settings.given });
        for (const w of plan.warnings) warn(w);
        if (opts.json) printJson({ ...plan, etcdPath });
        else process.stdout.write(renderHostsPlan(plan, etcdPath));
        return;
      }
      const { preparePlan } = await import('../../prepare.js');
      const { renderPlan } = await import('../render-plan.js');
      const { warn, printJson } = await import('../output.js');
      const { storedPlanFor } = await import('../stored-plan.js');
      const prepared = await preparePlan(settings, { needBinary: false });
      const stored = storedPlanFor(settings, prepared.plan);
      const { etcd } = prepared;
      const plan = stored ?? prepared.plan;
      if (stored) process.stderr.write(`the cluster stored in ${settings.spec.dir} (\`etcd-lab up\` resumes it with its data)\n`);
      for (const w of plan.warnings) warn(w);
      if (opts.json) printJson({ ...plan, etcdPath: etcd?.path ?? null });
      else process.stdout.write(renderPlan(plan, etcd?.path ?? null));
    });
}
