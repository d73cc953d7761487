// PURE. etcd-lab's own register: get/put/cas on string keys (history.ts). Each key is an independent register,
// initially absent (null); a cas with `expect: null` compares against "absent". A cas that returned
// `succeeded: false` found a value other than `expect` and changed nothing.
import type { RegisterInput, RegisterOperation, RegisterOutput } from '../history.js';
import { readStep } from './read-step.js';
import { ILLEGAL, type Illegal, type Model } from '../model.js';
import { canDropWrite, explainRegister, quote, type RegisterView } from './register-explain.js';

type State = string | null;

function step(s: State, input: RegisterInput, output: RegisterOutput | undefined): State | Illegal {
  switch (input.f) {
    case 'get':
      return readStep(s, output);
    case 'put':
      return input.value;
    case 'cas': {
      const matches = s === input.expect;
      if (output === undefined) return matches ? input.value : s;
      if (output.f !== 'cas') return ILLEGAL;
      if (output.succeeded) return matches ? input.value : ILLEGAL;
      return matches ? ILLEGAL : s;
    }
  }
}

export function viewRegister(op: RegisterOperation): RegisterView {
  const i = op.input;
  const known = op.outcome === 'ok' && op.output !== undefined;
  switch (i.f) {
    case 'get':
      return { kind: 'read', value: known && op.output!.f === 'get' ? op.output!.value : undefined };
    case 'put':
      return { kind: 'write', value: i.value };
    case 'cas':
      return { kind: 'cas', expect: i.expect, value: i.value, succeeded: known && op.output!.f === 'cas' ? op.output!.succeeded : undefined };
  }
}

function describe(op: RegisterOperation): string {
  const i = op.input;
  const unknown = op.outcome === 'unknown' ? ' (outcome unknown)' : '';
  switch (i.f) {
    case 'get':
      if (op.outcome !== 'ok' || op.output?.f !== 'get') return `get of ${i.key}${unknown}`;
      return `get of ${i.key} returned ${op.output.value === null ? 'nothing (absent)' : quote(op.output.value)}`;
    case 'put':
      return `put of ${quote(i.value)} to ${i.key}${unknown}`;
    case 'cas': {
      const result = op.outcome === 'ok' && op.output?.f === 'cas' ? (op.output.succeeded ? ' (succeeded)' : ' (failed: the value was not the expected one)') : unknown;
      return `cas of ${i.key} from ${i.expect === null ? 'absent' : quote(i.expect)} to ${quote(i.value)}${result}`;
    }
  }
}

export const registerModel: Model<State, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step,
  key: (s) => s,
  partition: (input) => input.key,
  isRead: (input) => input.f === 'get',
  describe,
  canDrop: (op, ops) => canDropWrite(op, ops, viewRegister),
  explain: (ops, time) => explainRegister(ops, viewRegister, describe, { initial: null, time }),
};
