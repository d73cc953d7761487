// PURE. A key-value store with get, put and append (as in porcupine's kv tests): every key starts as the empty
// string, put replaces it, append adds to its end, get returns it. Keys are independent (one partition each).
import type { Operation } from '../history.js';
import { readStep } from './read-step.js';
import { type Illegal, type Model, type TimeFormat } from '../model.js';
import { quote, who } from './register-explain.js';

export type KvInput = { f: 'get'; key: string } | { f: 'put'; key: string; value: string } | { f: 'append'; key: string; value: string };
export type KvOutput = { f: 'get'; value: string } | { f: 'put' } | { f: 'append' };
export type KvOperation = Operation<KvInput, KvOutput>;

function step(s: string, input: KvInput, output: KvOutput | undefined): string | Illegal {
  switch (input.f) {
    case 'get':
      return readStep(s, output);
    case 'put':
      return input.value;
    case 'append':
      return s + input.value;
  }
}

function describe(op: KvOperation): string {
  const i = op.input;
  const unknown = op.outcome === 'unknown' ? ' (outcome unknown)' : '';
  switch (i.f) {
    case 'get':
      return op.outcome === 'ok' && op.output?.f === 'get' ? `get of ${quote(i.key)} returned ${quote(op.output.value)}` : `get of ${quote(i.key)}${unknown}`;
    case 'put':
      return `put of ${quote(i.value)} to ${quote(i.key)}${unknown}`;
    case 'append':
      return `append of ${quote(i.value)} to ${quote(i.key)}${unknown}`;
  }
}

/** The common case in words: a get that misses an append acknowledged before it began (when nothing puts). */
function explain(ops: readonly KvOperation[], time: TimeFormat): string | undefined {
  if (ops.some((o) => o.input.f === 'put')) return undefined;
  const gets = ops.filter((o) => o.outcome === 'ok' && o.output?.f === 'get').sort((a, b) => b.return! - a.return!);
  const read = gets[0];
  if (!read || read.output?.f !== 'get') return undefined;
  const value = read.output.value;
  const lost = ops.find((o) => o.input.f === 'append' && o.outcome === 'ok' && o.return! < read.invoke && !value.includes(o.input.value));
  if (!lost) return undefined;
  return `${who(read)} ${describe(read)} ${time.span(read.invoke, read.return)}, but ${who(lost)} ${describe(lost)} was acknowledged ${time.at(lost.return!)}, before that get began, and what it returned does not contain it.`;
}

export const kvModel: Model<string, KvInput, KvOutput> = {
  name: 'kv',
  init: () => '',
  step,
  key: (s) => s,
  partition: (input) => input.key,
  isRead: (input) => input.f === 'get',
  describe,
  explain,
};
