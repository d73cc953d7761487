// What `etcd-lab check` checks for each argument: a history file, or a chaos run's report folder. Reads the
// files (the one effect here), then hands them to the pure checker.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import type { LinearizabilityResult } from '../check/check-history.js';
import { checkParsed, parseHistory, type Format } from '../check/parse/index.js';
import { resolveUnknownWrites } from '../check/resolve-writes.js';
import { parseWatchJsonl } from '../check/run-files.js';
import { checkWatches, type WatchCheckResult, type WatchedEvent, type WatchLogEntry } from '../check/watch.js';

export interface FileCheck {
  file: string;
  format?: Format;
  result?: LinearizabilityResult<unknown, unknown>;
  /** Writes of unknown outcome settled by the folder's final key history (resolve-writes.ts). */
  settled?: { applied: number; notApplied: number; left: number };
  /** The file could not be read or parsed. */
  error?: LabError;
}

export interface CheckSettings {
  format?: Format;
  budgetMs: number;
  minimize: boolean;
}

/**
 * The history files an argument stands for. A directory is a chaos run's report folder: its history.jsonl
 * (and its watch.jsonl: see watchFileFor).
 */
export async function filesFor(arg: string): Promise<string[]> {
  let s;
  try {
    s = await stat(arg);
  } catch (e) {
    throw new LabError('BAD_HISTORY', `${arg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (!s.isDirectory()) return [arg];
  const history = join(arg, 'history.jsonl');
  try {
    await stat(history);
  } catch {
    throw new LabError('BAD_HISTORY', `${arg} is a directory without a history.jsonl`, {
      hint: 'a directory argument is a chaos run\'s report folder (etcd-lab chaos --report DIR); otherwise name the history files',
    });
  }
  return [history];
}

/** A report folder's watch.jsonl, parsed: the watchers' log and the final key history. */
export interface WatchData {
  log: WatchLogEntry[];
  final: WatchedEvent[] | null;
}

export async function checkFile(file: string, settings: CheckSettings, watch: WatchData | null = null): Promise<FileCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { file, error: new LabError('BAD_HISTORY', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`) };
  }
  try {
    const parsed = parseHistory(text, file, settings.format);
    let settled: FileCheck['settled'];
    if (parsed.format === 'jsonl' && watch?.final) {
      const r = resolveUnknownWrites(parsed.ops, watch.final, watch.log);
      parsed.ops = r.history;
      settled = { applied: r.applied, notApplied: r.notApplied, left: r.left };
    }
    return { file, format: parsed.format, ...(settled ? { settled } : {}), result: checkParsed(parsed, { budgetMs: settings.budgetMs, minimize: settings.minimize }) };
  } catch (e) {
    if (e instanceof LabError) return { file, format: settings.format, error: e };
    throw e;
  }
}

export interface WatchFileCheck {
  file: string;
  result?: WatchCheckResult;
  error?: LabError;
}

/** A report folder's watch.jsonl, when the argument is a folder that has one. */
export async function watchFileFor(arg: string): Promise<string | null> {
  try {
    if (!(await stat(arg)).isDirectory()) return null;
    const file = join(arg, 'watch.jsonl');
    return (await stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** The five watch checks of a watch.jsonl (watchers' logs and the final key history). */
export async function readWatchFile(file: string): Promise<{ file: string; data?: WatchData; error?: LabError }> {
  try {
    return { file, data: parseWatchJsonl(await readFile(file, 'utf8'), file) };
  } catch (e) {
    return { file, error: e instanceof LabError ? e : new LabError('BAD_HISTORY', `${file}: ${(e as Error).message.replace(`${file} `, '')}`) };
  }
}

/** The five watch checks of a watch.jsonl (watchers' logs and the final key history). */
export function checkWatchData(read: { file: string; data?: WatchData; error?: LabError }): WatchFileCheck {
  return read.data ? { file: read.file, result: checkWatches(read.data.log, read.data.final) } : { file: read.file, ...(read.error ? { error: read.error } : {}) };
}

