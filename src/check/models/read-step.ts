// PURE. The read of every register-like model (register and kv: `get`, Jepsen's register: `read`): a read with an
// answer must have seen the state; one without (outcome unknown) saw nothing and changes nothing.
import { ILLEGAL, type Illegal } from '../model.js';

export function readStep<S>(s: S, output: { f: string } | undefined, f = 'get'): S | Illegal {
  if (output === undefined) return s;
  return output.f === f && (output as { value?: unknown }).value === s ? s : ILLEGAL;
}
