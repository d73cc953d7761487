// PURE. The single register of Jepsen's etcd test: read, write v, cas [from to]; initially nil. Values are kept
// as the text Jepsen logged. Jepsen logs a cas whose compare failed as `:fail :cas [from to]`: it completed and
// found a value other than `from` (the parser makes it an ok operation with `ok: false`, as porcupine does).
import type { Operation } from '../history.js';
import { readStep } from './read-step.js';
import { ILLEGAL, type Illegal, type Model } from '../model.js';
import { canDropWrite, explainRegister, quote, type RegisterView } from './register-explain.js';

export type JepsenInput = { f: 'read' } | { f: 'write'; value: string } | { f: 'cas'; from: string; to: string };
export type JepsenOutput = { f: 'read'; value: string | null } | { f: 'write' } | { f: 'cas'; ok: boolean };
export type JepsenOperation = Operation<JepsenInput, JepsenOutput>;

type State = string | null;

function step(s: State, input: JepsenInput, output: JepsenOutput | undefined): State | Illegal {
  switch (input.f) {
    case 'read':
      return readStep(s, output, 'read');
    case 'write':
      return input.value;
    case 'cas': {
      const matches = s === input.from;
      if (output === undefined) return matches ? input.to : s;
      if (output.f !== 'cas') return ILLEGAL;
      if (output.ok) return matches ? input.to : ILLEGAL;
      return matches ? ILLEGAL : s;
    }
  }
}

function view(op: JepsenOperation): RegisterView {
  const i = op.input;
  const out = op.outcome === 'ok' ? op.output : undefined;
  switch (i.f) {
    case 'read':
      return { kind: 'read', value: out?.f === 'read' ? out.value : undefined };
    case 'write':
      return { kind: 'write', value: i.value };
    case 'cas':
      return { kind: 'cas', expect: i.from, value: i.to, succeeded: out?.f === 'cas' ? out.ok : undefined };
  }
}

function describe(op: JepsenOperation): string {
  const i = op.input;
  const out = op.outcome === 'ok' ? op.output : undefined;
  const unknown = op.outcome === 'unknown' ? ' (outcome unknown)' : '';
  switch (i.f) {
    case 'read':
      return out?.f === 'read' ? `read returned ${out.value === null ? 'nil' : quote(out.value)}` : `read${unknown}`;
    case 'write':
      return `write of ${quote(i.value)}${unknown}`;
    case 'cas':
      return `cas from ${quote(i.from)} to ${quote(i.to)}${out?.f === 'cas' ? (out.ok ? ' (succeeded)' : ' (failed: the value was not the expected one)') : unknown}`;
  }
}

export const jepsenRegisterModel: Model<State, JepsenInput, JepsenOutput> = {
  name: 'jepsen-register',
  init: () => null,
  step,
  key: (s) => s,
  isRead: (input) => input.f === 'read',
  describe,
  canDrop: (op, ops) => canDropWrite(op, ops, view),
  explain: (ops, time) => explainRegister(ops, view, describe, { initial: null, time }),
};
