// PURE. A key-value store with get, put and append (as in porcupine's kv tests): every key starts as the empty
// string, put replaces it, append adds to its end, get returns it. Keys are independent (one partition each).
import type { Operation } from '../history.js';
import { ILLEGAL, type Illegal, type Model } from '../model.js';
import { quote } from './register-explain.js';

export type KvInput = { f: 'get'; key: string } | { f: 'put'; key: string; value: string } | { f: 'append'; key: string; value: string };
export type KvOutput = { f: 'get'; value: string } | { f: 'put' } | { f: 'append' };
export type KvOperation = Operation<KvInput, KvOutput>;

function step(s: string, input: KvInput, output: KvOutput | undefined): string | Illegal {
  switch (input.f) {
    case 'get':
      if (output === undefined) return s;
      return output.f === 'get' && output.value === s ? s : ILLEGAL;
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

export const kvModel: Model<string, KvInput, KvOutput> = {
  name: 'kv',
  init: () => '',
  step,
  key: (s) => s,
  partition: (input) => input.key,
  isRead: (input) => input.f === 'get',
  describe,
};
