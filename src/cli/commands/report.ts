// `etcd-lab report DIR`: renders DIR/report.html again from DIR/run.json (as `etcd-lab chaos --report DIR` saved it).
import type { Command } from 'commander';
import { LabError } from '../../errors.js';

interface ReportFlags {
  out?: string;
  json?: boolean;
}

const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<dir>', 'a folder written by `etcd-lab chaos --report DIR` (holds run.json)')
    .description('render DIR/report.html again from DIR/run.json: one self-contained page, open it in any browser')
    .option('-o, --out <file>', 'write the page here instead of DIR/report.html')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab chaos --duration 30s --seed 7 --report run-7
  $ etcd-lab report run-7                 # re-renders run-7/report.html from run-7/run.json
  $ etcd-lab report run-7 -o /tmp/r.html && xdg-open /tmp/r.html`,
    )
    .action(async (dir: string, opts: ReportFlags) => {
      const { existsSync, readFileSync, statSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { toRunReport } = await import('../../report/validate.js');
      const { renderReportHtml } = await import('../../report/html.js');
      const { runTotals } = await import('../../report/summary.js');
      const { writeNewFile } = await import('../write-file.js');
      const { printJson } = await import('../output.js');
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new LabError('USAGE', `no folder ${dir}`, { hint: 'give the folder `etcd-lab chaos --report DIR` wrote, e.g. etcd-lab report run-7' });
      }
      const file = join(dir, 'run.json');
      if (!existsSync(file)) {
        throw new LabError('USAGE', `no run.json in ${dir}`, { hint: '`etcd-lab chaos --report DIR` writes DIR/run.json; run a chaos run with --report first' });
      }
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new LabError('USAGE', `${file} is not valid JSON: ${(e as Error).message}`, { hint: 'the file may be truncated; run `etcd-lab chaos --report DIR` again' });
      }
      const report = toRunReport(json, file);
      const started = performance.now();
      const html = renderReportHtml(report);
      const renderMs = Math.round(performance.now() - started);
      const out = resolve(opts.out ?? join(dir, 'report.html'));
      writeNewFile(out, html, true, 'report');
      const t = runTotals(report);
      const bytes = Buffer.byteLength(html);
      if (opts.json) {
        printJson({ runJson: resolve(file), report: out, bytes, renderMs, operations: t.operations, byOutcome: t.byOutcome, faults: t.faults, checks: t.checks, checksFailed: t.checksFailed, violations: t.violations });
        return;
      }
      process.stdout.write(
        `wrote ${out} (${Math.round(bytes / 1024)} KiB, ${renderMs} ms): ${n(t.operations, 'operation')} (${t.byOutcome.ok} ok, ${t.byOutcome.fail} failed, ${t.byOutcome.unknown} unknown), ${n(t.faults, 'fault')}, ${n(t.checks, 'check')}${t.checksFailed ? ` (${t.checksFailed} failed)` : ''}\n` +
          `open it in a browser, e.g. xdg-open ${out}\n`,
      );
    });
}
