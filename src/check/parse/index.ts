// PURE. A history file's text to operations and the model that checks them: the format is told or detected.
import { LabError } from '../../errors.js';
import { checkHistory, type CheckOptions, type LinearizabilityResult } from '../check-history.js';
import type { RegisterOperation } from '../history.js';
import { lineTime, msTime } from '../model.js';
import { jepsenRegisterModel, type JepsenOperation } from '../models/jepsen-register.js';
import { kvModel, type KvOperation } from '../models/kv.js';
import { registerModel } from '../models/register.js';
import { parseEdnKv } from './edn-kv.js';
import { looksLikeJepsenLog, parseJepsenLog } from './jepsen-log.js';
import { parseJsonl } from './jsonl.js';

export const FORMATS = ['jepsen', 'edn', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

export type ParsedHistory =
  | { format: 'jepsen'; ops: JepsenOperation[] }
  | { format: 'edn'; ops: KvOperation[] }
  | { format: 'jsonl'; ops: RegisterOperation[] };

/** The format of a history from its first event line, wherever it is (a Jepsen log may begin with a long set-up). */
export function detectFormat(text: string): Format | undefined {
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end).trim();
    at = end < 0 ? text.length : end + 1;
    if (line === '' || line.startsWith(';')) continue;
    if (looksLikeJepsenLog(line)) return 'jepsen';
    if (/^\{\s*"/.test(line)) return 'jsonl';
    // An event map, not the test map a Jepsen log prints before its events ({:concurrency 5, ...}).
    if (/^\{\s*:/.test(line) && /:type\s+:/.test(line) && /:process\s/.test(line)) return 'edn';
  }
  return undefined;
}

const WHAT: Record<Format, string> = { jepsen: 'Jepsen log events (jepsen.util lines)', edn: 'EDN events of client processes', jsonl: 'etcd-lab operations' };

export function parseHistory(text: string, file: string, format?: Format): ParsedHistory {
  if (text.trim() === '') throw new LabError('BAD_HISTORY', `${file} is empty: there is nothing to check`, { hint: 'give the file Jepsen or etcd-lab wrote (see etcd-lab check --help)' });
  const f = format ?? detectFormat(text);
  if (f === undefined) {
    throw new LabError('BAD_HISTORY', `${file}: cannot tell the history format (no Jepsen log line, EDN map or JSON object in it)`, {
      hint: 'name it with --format jepsen|edn|jsonl',
    });
  }
  const parsed = parseAs(f, text, file);
  // Checking no operation would say "linearizable" of a file that was not read (another format, only the nemesis).
  if (parsed.ops.length === 0) {
    throw new LabError('BAD_HISTORY', `${file}: no ${WHAT[f]} in it, so there is no operation to check`, {
      hint: format === undefined ? 'a history needs the events of at least one client operation' : `is it a ${format} history? leave out --format to let etcd-lab tell`,
    });
  }
  return parsed;
}

function parseAs(f: Format, text: string, file: string): ParsedHistory {
  switch (f) {
    case 'jepsen':
      return { format: f, ops: parseJepsenLog(text, file) };
    case 'edn':
      return { format: f, ops: parseEdnKv(text, file) };
    case 'jsonl':
      return { format: f, ops: parseJsonl(text, file) };
  }
}

/** Checks a parsed history with its format's model (Jepsen register, key-value, or etcd-lab's register). */
export function checkParsed(h: ParsedHistory, opts: CheckOptions = {}): LinearizabilityResult<unknown, unknown> {
  switch (h.format) {
    case 'jepsen':
      return checkHistory(h.ops, jepsenRegisterModel, { time: lineTime, ...opts }) as LinearizabilityResult<unknown, unknown>;
    case 'edn':
      return checkHistory(h.ops, kvModel, { time: lineTime, ...opts }) as LinearizabilityResult<unknown, unknown>;
    case 'jsonl':
      return checkHistory(h.ops, registerModel, { time: msTime, ...opts }) as LinearizabilityResult<unknown, unknown>;
  }
}
