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

/** The format of a history from its first meaningful line, or undefined. */
export function detectFormat(text: string): Format | undefined {
  for (const raw of text.split('\n', 200)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    if (looksLikeJepsenLog(line)) return 'jepsen';
    if (/^\{\s*"/.test(line)) return 'jsonl';
    if (/^\{\s*:/.test(line)) return 'edn';
  }
  return undefined;
}

export function parseHistory(text: string, file: string, format?: Format): ParsedHistory {
  const f = format ?? detectFormat(text);
  if (f === undefined) {
    throw new LabError('BAD_HISTORY', `${file}: cannot tell the history format (no Jepsen log line, EDN map or JSON object among its first lines)`, {
      hint: 'name it with --format jepsen|edn|jsonl',
    });
  }
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
