import { Command, Option } from 'commander';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';
import { addHostsOptions, type HostsFlags } from '../hosts-options.js';

interface ExportFlags extends ClusterFlags, HostsFlags {
  format: 'systemd' | 'compose' | 'kubernetes';
  output: string;
  force?: boolean;
  etcdPath?: string;
  registry?: 'gcr' | 'quay';
  namespace?: string;
  statefulset?: string;
  service?: string;
  json?: boolean;
}

export function registerExport(program: Command): void {
  addHostsOptions(addClusterOptions(
    program
      .command('export')
      .description('write the multi-host plan as systemd units, a Docker Compose file or Kubernetes manifests')
      .addOption(new Option('--format <format>', 'systemd (a unit per host), compose, or kubernetes').choices(['systemd', 'compose', 'kubernetes']).makeOptionMandatory())
      .requiredOption('-o, --output <dir>', 'folder to write the files into (made when missing)')
      .option('-f, --force', 'replace files that exist')
      .option('--etcd-path <path>', 'systemd: etcd on the hosts', '/usr/local/bin/etcd')
      .addOption(new Option('--registry <registry>', 'compose/kubernetes: gcr.io/etcd-development or quay.io/coreos').choices(['gcr', 'quay']).default('gcr'))
      .option('--namespace <ns>', 'kubernetes: namespace', 'default')
      .option('--statefulset <name>', 'kubernetes: StatefulSet name (pods are <name>-0..N-1)', 'etcd')
      .option('--service <name>', 'kubernetes: headless Service name', 'etcd')
      .option('--json', 'print what was written as JSON'),
  ))
    .addHelpText('after', [
      '',
      'Examples:',
      '  $ etcd-lab export --format systemd --hosts 10.0.1.10,10.0.1.11,10.0.1.12 -o units',
      '  $ etcd-lab export --format compose --hosts 10.77.0.11,10.77.0.12,10.77.0.13 --etcd-version 3.5.30 -o compose',
      '  $ etcd-lab export --format systemd --tls --hosts 10.0.1.10,10.0.1.11,10.0.1.12 -o units   # + units/pki: a CA, a certificate per host',
      '  $ etcd-lab export --format kubernetes -n 3 --etcd-version 3.6.14 -o k8s',
      '  $ etcd-lab export --format kubernetes -n 5 --bootstrap dns -o k8s   # --discovery-srv on the headless Service',
      '  $ etcd-lab export --format kubernetes -n 3 --tls -o k8s             # + a Secret with the CA and each pod\'s certificates',
    ].join('\n'))
    .action(async (opts: ExportFlags) => {
      // Kubernetes names the hosts itself: its bootstrap is applied once they are made.
      const k8sBootstrap = opts.format === 'kubernetes' ? opts.bootstrap : undefined;
      const settings = await loadSettings(opts.format === 'kubernetes' ? { ...opts, bootstrap: undefined } : opts);
      const { LabError } = await import('../../errors.js');
      const { packageVersion } = await import('../version.js');
      const { warn, printJson } = await import('../output.js');
      const exportOpts = { etcdPath: opts.etcdPath ?? '/usr/local/bin/etcd', generator: packageVersion(), ...(opts.registry ? { registry: opts.registry } : {}) };
      let files: import('../../plan/export/types.js').ExportFile[] | ((pkiDir: string) => import('../../plan/export/types.js').ExportFile[]);
      let warnings: string[];
      let tlsPlan: import('../../plan/hosts.js').HostsPlan | null = null;
      if (opts.format === 'kubernetes') {
        const k8s = await import('../../plan/export/kubernetes.js');
        const names = { ...k8s.DEFAULT_KUBERNETES_NAMES, namespace: opts.namespace ?? 'default', statefulSet: opts.statefulset ?? 'etcd', service: opts.service ?? 'etcd' };
        if (settings.hosts && settings.given.has('hosts')) {
          throw new LabError('USAGE', 'Kubernetes gives the pods their addresses: the StatefulSet has no --hosts', { hint: 'use -n <count> with --format kubernetes' });
        }
        const dns = k8sBootstrap === 'dns';
        if (k8sBootstrap === 'discovery') throw new LabError('USAGE', 'the Kubernetes export bootstraps static or dns (the headless Service\'s SRV records)');
        const withHosts = {
          ...settings,
          hosts: { hosts: k8s.kubernetesHosts(settings.spec.nodes, names), bootstrap: dns ? ('dns' as const) : ('static' as const), ...(dns ? { dnsDomain: k8s.serviceDomain(names) } : {}) },
        };
        const { prepareHostsPlan } = await import('../../prepare-hosts.js');
        const { plan } = await prepareHostsPlan(withHosts, { ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(opts.pkiDir ? { pkiDir: opts.pkiDir } : {}), given: new Set([...settings.given].filter((g) => g !== 'nodes')) });
        if (plan.tls) {
          tlsPlan = plan;
          const { readFileSync } = await import('node:fs');
          const { join } = await import('node:path');
          // The Secret carries the certificates: the manifest is made once they exist.
          files = (pkiDir) => k8s.kubernetesExport(plan, names, { ...exportOpts, pki: Object.fromEntries(k8s.pkiSecretItems(plan).map((it) => [it.path, readFileSync(join(pkiDir, it.path), 'utf8')])) });
        } else files = k8s.kubernetesExport(plan, names, exportOpts);
        warnings = plan.warnings;
      } else {
        if (!settings.hosts) throw new LabError('USAGE', `--format ${opts.format} needs the hosts`, { hint: 'pass --hosts 10.0.1.10,10.0.1.11,10.0.1.12 (or hosts: in etcd-lab.yaml)' });
        const { prepareHostsPlan } = await import('../../prepare-hosts.js');
        const { plan } = await prepareHostsPlan(settings, { ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(opts.pkiDir ? { pkiDir: opts.pkiDir } : {}), given: settings.given });
        tlsPlan = plan.tls ? plan : null;
        files = opts.format === 'systemd'
          ? (await import('../../plan/export/systemd.js')).systemdExport(plan, exportOpts)
          : (await import('../../plan/export/compose.js')).composeExport(plan, exportOpts);
        warnings = plan.warnings;
      }
      const { writeExport, writeExportWithPki } = await import('../write-export.js');
      const withPki = tlsPlan;
      const written = withPki
        ? await writeExportWithPki(opts.output, files, opts.force === true, async (dir) => (await import('../../supervisor/pki.js')).ensureHostsPki(withPki, dir))
        : writeExport(opts.output, typeof files === 'function' ? [] : files, opts.force === true);
      for (const w of warnings) warn(w);
      if (opts.json) printJson({ format: opts.format, dir: opts.output, files: written });
      else process.stderr.write(`wrote ${written.join(', ')} in ${opts.output}\n`);
    });
}
