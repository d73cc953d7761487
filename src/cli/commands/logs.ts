import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';

interface LogsFlags {
  dir?: string;
  config?: string;
  follow?: boolean;
  lines?: string;
  raw?: boolean;
}

export function registerLogs(program: Command): void {
  addDirOptions(
    program
      .command('logs')
      .description("show members' logs as readable lines (all members merged by time, or one)")
      .argument('[member]', 'only this member')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C (needs a running supervisor)')
      .option('-n, --lines <count>', 'how many past lines per member', '50')
      .option('--raw', "etcd's raw JSON lines"),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab logs            # the last 50 lines of every member\n  $ etcd-lab logs m2 -f\n  $ etcd-lab logs --raw -n 1000 m1 > m1.json')
    .action(async (member: string | undefined, opts: LogsFlags) => {
      const dir = await stateDirFrom(opts);
      const { statePaths, readJson } = await import('../../supervisor/state-dir.js');
      const { formatMemberLine } = await import('../log-format.js');
      const { parseLogLine } = await import('../../etcd/zap.js');
      const { useColor } = await import('../output.js');
      const paths = statePaths(dir);
      let names: string[];
      if (existsSync(paths.plan)) {
        names = readJson<import('../../plan/types.js').ClusterPlan>(paths.plan).members.map((m) => m.name);
      } else {
        // A Procfile run (etcd-lab start) has no plan: ask its supervisor for the entries.
        const { supervisorFor } = await import('../supervisor-client.js');
        const c = await supervisorFor(dir).catch(() => {
          throw new LabError('NOT_RUNNING', `no etcd-lab cluster in ${dir}`, { hint: 'pass the --dir the cluster was started with' });
        });
        try {
          names = ((await c.request('list', {}, 5000)) as { name: string }[]).map((m) => m.name);
        } finally {
          c.close();
        }
      }
      if (member !== undefined && !names.includes(member)) {
        const { didYouMean } = await import('../../plan/suggest.js');
        throw new LabError('UNKNOWN_MEMBER', `no member "${member}" in ${dir}${didYouMean(member, names)}`, { hint: `members: ${names.join(', ')}` });
      }
      if (!/^\d+$/.test(opts.lines ?? '50')) throw new LabError('USAGE', `--lines must be a whole number, got "${opts.lines}"`);
      const n = Number(opts.lines ?? '50');
      const show = member ? [member] : names;
      const width = Math.max(...show.map((m) => m.length));
      const color = useColor(process.stdout);
      const fmt = (m: string, text: string): string =>
        formatMemberLine(m, text, { color, raw: opts.raw === true, index: names.indexOf(m), nameWidth: width });
      // Follow: subscribe first, then read the files, so that no line written in between is lost (log-follow.ts).
      const follow = opts.follow ? await subscribe(dir, member) : null;
      const past: { m: string; text: string; ts: number; seq: number }[] = [];
      const fileLines = new Map<string, string[]>();
      let seq = 0;
      for (const m of show) {
        let text = '';
        try {
          text = readFileSync(join(paths.logs, `${m}.log`), 'utf8');
        } catch {
          /* no log yet */
        }
        const lines = text.split('\n').filter((l) => l !== '');
        fileLines.set(m, lines);
        for (const l of n === 0 ? [] : lines.slice(-n)) past.push({ m, text: l, ts: parseLogLine(l)?.ts.getTime() ?? 0, seq: seq++ });
      }
      if (show.length > 1) past.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      process.stdout.write(past.map((p) => `${fmt(p.m, p.text)}\n`).join(''));
      if (!follow) return;
      const { notYetRead } = await import('../log-follow.js');
      const caught = follow.goLive((m, text) => process.stdout.write(`${fmt(m, text)}\n`));
      const fresh = new Map(show.map((m) => [m, notYetRead(fileLines.get(m) ?? [], caught.filter((c) => c.m === m).map((c) => c.text))]));
      for (const c of caught) {
        const rest = fresh.get(c.m);
        if (rest?.[0] === c.text) process.stdout.write(`${fmt(c.m, rest.shift()!)}\n`);
      }
      const stop = (): void => follow.stream.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await follow.stream.done;
      } finally {
        follow.close();
      }
    });
}

/**
 * Opens the supervisor's line stream and resolves once the supervisor has registered it (its `subscribed` event).
 * Lines that arrive before `goLive` are kept and handed back by it, in order; after it they go to the printer.
 */
async function subscribe(dir: string, member: string | undefined) {
  const { supervisorFor } = await import('../supervisor-client.js');
  const c = await supervisorFor(dir);
  const caught: { m: string; text: string }[] = [];
  let print: ((m: string, text: string) => void) | null = null;
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  const stream = c.stream('logs', member ? { member } : {}, (ev) => {
    if (ev.event === 'subscribed') subscribed();
    else if (ev.event === 'line') {
      const m = String(ev.member);
      const text = String(ev.text);
      if (print) print(m, text);
      else caught.push({ m, text });
    }
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      stream.done.then(() => {
        throw new LabError('NOT_RUNNING', `the supervisor of ${dir} ended the log stream before it started`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LabError('CONTROL', `the supervisor of ${dir} did not open the log stream within 5 s`)), 5000);
      }),
    ]);
  } catch (e) {
    stream.close();
    c.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    stream,
    close: () => c.close(),
    goLive(printer: (m: string, text: string) => void): { m: string; text: string }[] {
      print = printer;
      return caught.splice(0);
    },
  };
}
