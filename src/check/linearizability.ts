// PURE. The linearizability checker's entry points (see README.md, "Check a history: etcd-lab check").
import { checkHistory, type CheckOptions as Options, type LinearizabilityResult as Result } from './check-history.js';
import type { RegisterInput, RegisterOperation, RegisterOutput } from './history.js';
import { registerModel } from './models/register.js';

export { checkHistory, DEFAULT_BUDGET_MS } from './check-history.js';
export type CheckOptions = Options;
export type LinearizabilityResult<I = RegisterInput, O = RegisterOutput> = Result<I, O>;
export { ILLEGAL, type Model, type TimeFormat, msTime, lineTime } from './model.js';
export { registerModel } from './models/register.js';
export { jepsenRegisterModel } from './models/jepsen-register.js';
export { kvModel } from './models/kv.js';

/** Checks etcd-lab's own register history (get/put/cas per key, every key initially absent). */
export function checkRegisterHistory(ops: RegisterOperation[], opts?: CheckOptions): LinearizabilityResult {
  return checkHistory(ops, registerModel, opts);
}
