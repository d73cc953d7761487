import { Command } from 'commander';
import { addClusterOptions, loadSettings, type ClusterFlags } from '../cluster-options.js';

export function registerInit(program: Command): void {
  addClusterOptions(
    program
      .command('init')
      .description('write an annotated etcd-lab.yaml with every setting explained')
      .option('-o, --output <file>', 'where to write it', 'etcd-lab.yaml')
      .option('-f, --force', 'replace the file if it exists'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab init              # 3 members, fast profile\n  $ etcd-lab init -n 5 --ports auto')
    .action(async (opts: ClusterFlags & { output: string; force?: boolean }) => {
      // The file being written must not be read as the config it replaces.
      const settings = await loadSettings(opts, { defaultConfig: false });
      const { readTemplate } = await import('../../templates.js');
      const { writeNewFile } = await import('../write-file.js');
      const { checkMemberCount } = await import('../../plan/count.js');
      const s = settings.spec;
      checkMemberCount(s.nodes, s.allowEven);
      const ports = s.ports.kind === 'base' ? String(s.ports.base) : s.ports.kind === 'auto' ? 'auto' : 'etcd';
      const fill: Record<string, string> = {
        nodes: String(s.nodes),
        namePrefix: s.namePrefix,
        host: s.host,
        dir: s.dir,
        ports,
        profile: s.profile,
      };
      let text = readTemplate('etcd-lab.yaml').replace(/\{\{(\w+)\}\}/g, (_, k: string) => fill[k] ?? '');
      if (s.allowEven) text = text.replace('# allow-even: false', 'allow-even: true');
      if (s.chaos) text = text.replace('# chaos: false', 'chaos: true');
      if (s.tls) text = text.replace('# tls: false', 'tls: true');
      writeNewFile(opts.output, text, opts.force === true, 'config');
      process.stderr.write(`wrote ${opts.output}; edit it, then run: etcd-lab up\n`);
    });
}
