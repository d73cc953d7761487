// PURE. An operation in words, e.g. "put k=1 → ok", "get k → 1", "cas k 1→2 → false", "put k=3 → unknown".
import type { RegisterOperation } from '../check/history.js';

const q = (v: string | null): string => (v === null ? '∅' : v);

export function inputText(o: RegisterOperation): string {
  const i = o.input;
  switch (i.f) {
    case 'get':
      return `get ${i.key}`;
    case 'put':
      return `put ${i.key}=${i.value}`;
    case 'cas':
      return `cas ${i.key} ${q(i.expect)}→${i.value}`;
  }
}

export function outputText(o: RegisterOperation): string {
  if (o.outcome !== 'ok' || !o.output) return o.outcome;
  const out = o.output;
  switch (out.f) {
    case 'get':
      return q(out.value);
    case 'put':
      return 'ok';
    case 'cas':
      return out.succeeded ? 'swapped' : 'not swapped';
  }
}

export function opText(o: RegisterOperation): string {
  return `${inputText(o)} → ${outputText(o)}`;
}
