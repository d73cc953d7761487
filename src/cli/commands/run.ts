import type { Command } from 'commander';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';

const VERBS = ['start', 'stop', 'restart', 'list', 'status'] as const;

export function registerRun(program: Command): void {
  addDirOptions(
    program
      .command('run')
      .description("goreman's verbs, sent to the running supervisor: start|stop|restart|list|status [member]")
      .argument('<verb>', VERBS.join('|'))
      .argument('[member]', 'member name (for start, stop, restart)')
      .option('--json', 'print the answer as JSON')
      .option('--grace <duration>', 'stop: SIGTERM, then SIGKILL after this long', '3s'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab run stop m2      # SIGTERM, SIGKILL after the grace period; stays down\n  $ etcd-lab run start m2\n  $ etcd-lab run list')
    .action(async (verb: string, member: string | undefined, opts: { dir?: string; config?: string; json?: boolean; grace?: string }) => {
      if (!(VERBS as readonly string[]).includes(verb)) {
        const { didYouMean } = await import('../../plan/suggest.js');
        throw new LabError('USAGE', `unknown verb "${verb}"${didYouMean(verb, VERBS)}`, { hint: `use one of: ${VERBS.join(', ')}` });
      }
      const needsMember = verb === 'start' || verb === 'stop' || verb === 'restart';
      if (needsMember && !member) throw new LabError('USAGE', `run ${verb} needs a member name`, { hint: `e.g. etcd-lab run ${verb} m2` });
      const dir = await stateDirFrom(opts);
      const { supervisorFor } = await import('../supervisor-client.js');
      const { parseDuration } = await import('../../plan/duration.js');
      const c = await supervisorFor(dir);
      try {
        if (needsMember) {
          const args: Record<string, unknown> = { member };
          if (verb === 'stop') args.graceMs = parseDuration(opts.grace ?? '3s', '--grace');
          const r = await c.request(verb, args, 30_000);
          if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
          else process.stdout.write(`${member}: ${verb === 'stop' ? 'stopped' : verb === 'start' ? 'started' : 'restarted'}\n`);
          return;
        }
        const list = (await c.request('list', {}, 5000)) as { name: string; pid: number | null; state: string }[];
        if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (verb === 'list') process.stdout.write(list.map((m) => `${m.name}\n`).join(''));
        else {
          const w = Math.max(...list.map((m) => m.name.length));
          process.stdout.write(
            list.map((m) => `${m.state === 'running' ? '*' : ' '}${m.name.padEnd(w)}  ${m.state.padEnd(8)} ${m.pid ?? '-'}\n`).join(''),
          );
        }
      } finally {
        c.close();
      }
    });
}
