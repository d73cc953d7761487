import type { Command } from 'commander';
import { LabError } from '../../errors.js';
import type { FileCheck, WatchFileCheck } from '../check-files.js';

/** Exit codes of `etcd-lab check`, most important first when files differ. */
export const CHECK_EXIT = { linearizable: 0, notLinearizable: 1, badInput: 2, unknown: 4 } as const;

interface CheckFlags {
  format?: string;
  budget?: string;
  json?: boolean;
  minimize?: boolean;
}

export function exitCodeFor(checks: FileCheck[], watch: WatchFileCheck[] = []): number {
  if (checks.some((c) => c.result?.verdict === 'not-linearizable')) return CHECK_EXIT.notLinearizable;
  if (watch.some((w) => w.result?.checks.some((c) => c.verdict === 'failed'))) return CHECK_EXIT.notLinearizable;
  if (checks.some((c) => c.error) || watch.some((w) => w.error)) return CHECK_EXIT.badInput;
  if (checks.some((c) => c.result?.verdict === 'unknown')) return CHECK_EXIT.unknown;
  if (watch.some((w) => w.result?.checks.some((c) => c.verdict === 'unknown'))) return CHECK_EXIT.unknown;
  return CHECK_EXIT.linearizable;
}

/** A report folder's watch checks: one line per check, then each violation in words. */
function renderWatch(w: WatchFileCheck, color: { red: (s: string) => string; green: (s: string) => string; yellow: (s: string) => string }): string {
  if (w.error) return `${w.file}: ${color.red('error')}: ${w.error.message}\n`;
  const r = w.result!;
  const lines = r.checks.map((c) => {
    const v = c.verdict === 'passed' ? color.green('passed') : c.verdict === 'failed' ? color.red('FAILED') : color.yellow('unknown');
    return `${w.file}: watch ${c.name} ${v} (${c.detail})`;
  });
  for (const v of r.violations) lines.push(`  ${v.check}: ${v.explanation}`);
  return `${lines.join('\n')}\n`;
}

function render(c: FileCheck, color: { red: (s: string) => string; green: (s: string) => string; yellow: (s: string) => string }): string {
  if (c.error) {
    // the message starts with the file (and the line) when it is about this file: say it once
    let m = c.error.message;
    if (m.startsWith(`${c.file}: `)) m = m.slice(c.file.length + 2);
    else if (m.startsWith(`${c.file}:`)) m = m.slice(c.file.length + 1).replace(/^(\d+): /, 'line $1: ');
    return `${c.file}: ${color.red('error')}: ${m}${c.error.hint ? `\n  hint: ${c.error.hint}` : ''}\n`;
  }
  const r = c.result!;
  const ms = r.ms >= 100 ? `${Math.round(r.ms)} ms` : `${r.ms.toFixed(1)} ms`;
  const st = c.settled;
  const settled = st && st.applied + st.notApplied > 0 ? `; ${st.applied + st.notApplied} timed-out writes settled by the final key history (${st.applied} applied, ${st.notApplied} never)${st.left ? `, ${st.left} left unknown` : ''}` : '';
  const parts = `${r.operations} operations, ${r.partitions} ${r.partitions === 1 ? 'partition' : 'partitions'}, ${ms}${settled}`;
  if (r.verdict === 'linearizable') return `${c.file}: ${color.green('linearizable')} (${parts})\n`;
  if (r.verdict === 'unknown') return `${c.file}: ${color.yellow('unknown')} (${parts}): ${r.reason}\n`;
  const v = r.violation!;
  const body = v.explanation
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `${c.file}: ${color.red('NOT linearizable')} (${parts})${v.key !== undefined ? `, key ${v.key}` : ''}, ${v.operations.length === 1 ? '1 operation shows it' : `${v.operations.length} operations show it`}:\n${body}\n`;
}

function json(c: FileCheck): object {
  if (c.error) return { file: c.file, format: c.format ?? null, verdict: 'error', error: { code: c.error.code, message: c.error.message, hint: c.error.hint ?? null } };
  const r = c.result!;
  return {
    file: c.file,
    format: c.format,
    verdict: r.verdict,
    operations: r.operations,
    partitions: r.partitions,
    ms: Math.round(r.ms * 10) / 10,
    ...(c.settled ? { settled: c.settled } : {}),
    ...(r.violation ? { violation: r.violation } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check recorded histories for linearizability (Jepsen logs, EDN key-value histories, etcd-lab history.jsonl)')
    .argument('<paths...>', 'history files, or report folders of chaos runs (DIR means DIR/history.jsonl)')
    .option('--format <format>', 'jepsen, edn or jsonl (default: detected from the first event line)')
    .option('--budget <duration>', 'time allowed per file; when it runs out the verdict is unknown', '30s')
    .option('--no-minimize', 'do not shrink a violation to a small set of operations')
    .option('--json', 'one JSON object a line per file: {file, format, verdict, operations, partitions, ms, violation?, reason?}, or {file, format, verdict: "error", error: {code, message, hint}}')
    .addHelpText(
      'after',
      `
Each file gets one verdict line; a violation follows it, in words, with the smallest set of operations found that
still shows it. An operation that timed out (outcome unknown, Jepsen :info) may take effect at any time after its
call, or never; one that certainly failed is dropped. See README.md, "Check a history".

Examples:
  $ etcd-lab check run-report/                  # a chaos run's report folder: history.jsonl, and watch.jsonl's
                                                # ordered/unique/atomic/reliable/resumable checks
  $ etcd-lab check test/fixtures/histories/jepsen-etcd/*.log
  $ etcd-lab check history.txt --format edn --budget 2m --json

Exit codes: 0 all linearizable, 1 a history is not linearizable, 2 a file cannot be read or parsed (or bad
usage), 4 a verdict is unknown (the budget ran out). With several files the first that applies in that order
(1, 2, 4) wins. A folder's watch checks count the same way: a failed one is 1, an unknown one (a watch.jsonl
without a final history) 4.`,
    )
    .action(async (paths: string[], opts: CheckFlags) => {
      const { parseDuration } = await import('../../plan/duration.js');
      const { FORMATS } = await import('../../check/parse/index.js');
      const { filesFor, checkFile, watchFileFor, readWatchFile, checkWatchData } = await import('../check-files.js');
      const { outColors } = await import('../output.js');
      if (opts.format !== undefined && !(FORMATS as readonly string[]).includes(opts.format)) {
        throw new LabError('USAGE', `--format ${opts.format} is not one of ${FORMATS.join(', ')}`, { hint: 'leave it out to detect the format from the file' });
      }
      const budgetMs = parseDuration(opts.budget ?? '30s', '--budget');
      if (budgetMs <= 0) throw new LabError('USAGE', '--budget must be more than 0', { hint: 'e.g. --budget 30s' });
      const settings = { format: opts.format as FileCheck['format'], budgetMs, minimize: opts.minimize !== false };
      const checks: FileCheck[] = [];
      const watch: WatchFileCheck[] = [];
      for (const p of paths) {
        let files: string[];
        try {
          files = await filesFor(p);
        } catch (e) {
          if (!(e instanceof LabError)) throw e;
          checks.push({ file: p, error: e });
          process.stdout.write(opts.json ? `${JSON.stringify(json(checks.at(-1)!))}\n` : render(checks.at(-1)!, outColors));
          continue;
        }
        const wf = await watchFileFor(p);
        const watchRead = wf ? await readWatchFile(wf) : null;
        for (const f of files) {
          const c = await checkFile(f, settings, watchRead?.data ?? null);
          checks.push(c);
          process.stdout.write(opts.json ? `${JSON.stringify(json(c))}\n` : render(c, outColors));
        }
        if (watchRead) {
          const w = checkWatchData(watchRead);
          watch.push(w);
          const line = w.error ? { file: w.file, verdict: 'error', error: { code: w.error.code, message: w.error.message } } : { file: w.file, watch: w.result!.checks, violations: w.result!.violations };
          process.stdout.write(opts.json ? `${JSON.stringify(line)}\n` : renderWatch(w, outColors));
        }
      }
      process.exitCode = exitCodeFor(checks, watch);
    });
}
