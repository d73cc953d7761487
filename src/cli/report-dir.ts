// The folder `etcd-lab chaos --report DIR` writes: history.jsonl, watch.jsonl, run.json, report.html. Every file
// is written whole or not at all (temp name, then rename); a folder that holds anything else is refused before
// the run starts, so etcd-lab never mixes its files with someone else's or overwrites what it did not write.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { makeFolder } from '../supervisor/state-dir.js';

export const REPORT_FILES = ['history.jsonl', 'watch.jsonl', 'run.json', 'report.html'] as const;
export type ReportFiles = Record<(typeof REPORT_FILES)[number], string>;

/** Throws unless `dir` is absent, empty, or a report folder etcd-lab wrote (only its files, with a run.json). */
export function checkReportDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new LabError('FILE_EXISTS', `--report ${dir} is a file, not a folder`, { hint: 'give a new or empty folder, e.g. --report run-1' });
  }
  const names = readdirSync(dir);
  if (names.length === 0) return;
  const foreign = names.filter((n) => !(REPORT_FILES as readonly string[]).includes(n));
  let ours = foreign.length === 0 && names.includes('run.json');
  if (ours) {
    try {
      const j = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { meta?: { command?: unknown } };
      ours = typeof j.meta?.command === 'string';
    } catch {
      ours = false;
    }
  }
  if (!ours) {
    const shown = (foreign.length ? foreign : names).slice(0, 3).join(', ');
    throw new LabError('FILE_EXISTS', `--report ${dir} is not empty and not an etcd-lab report folder (it holds ${shown}${names.length > 3 ? ', ...' : ''})`, {
      hint: 'give a new or empty folder; etcd-lab replaces only a folder it wrote itself (history.jsonl, watch.jsonl, run.json, report.html)',
    });
  }
}

/** Writes every file to a temp name first, then renames them all into place. */
export function writeReportDir(dir: string, files: ReportFiles): void {
  checkReportDir(dir);
  makeFolder(dir, 'the report folder', 'give --report a folder you can write');
  const temps: [string, string][] = [];
  try {
    for (const name of REPORT_FILES) {
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      temps.push([tmp, join(dir, name)]);
      writeFileSync(tmp, files[name], { flag: 'wx' });
    }
    for (const [tmp, path] of temps) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of temps) rmSync(tmp, { force: true });
    throw new LabError('USAGE', `cannot write the report to ${dir}: ${(e as Error).message}`, { hint: 'check the folder is writable and the disk not full' });
  }
}
