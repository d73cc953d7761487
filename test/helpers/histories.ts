// Register histories in etcd-lab's own format for the checker's tests: a recorded-looking base history, and
// helpers to splice operations into it.
import type { RegisterInput, RegisterOperation, RegisterOutput } from '../../src/check/history.js';

let nextId = 1000;

export function op(client: string, input: RegisterInput, invoke: number, ret: number | undefined, output?: RegisterOutput, outcome?: 'ok' | 'fail' | 'unknown'): RegisterOperation {
  const o: RegisterOperation = { id: nextId++, client, input, invoke, outcome: outcome ?? (ret === undefined ? 'unknown' : 'ok') };
  if (ret !== undefined) o.return = ret;
  if (output !== undefined && o.outcome === 'ok') o.output = output;
  return o;
}

export const put = (client: string, key: string, value: string, invoke: number, ret?: number, outcome?: 'ok' | 'fail' | 'unknown') =>
  op(client, { f: 'put', key, value }, invoke, ret, { f: 'put' }, outcome);
export const get = (client: string, key: string, value: string | null, invoke: number, ret?: number, outcome?: 'ok' | 'fail' | 'unknown') =>
  op(client, { f: 'get', key }, invoke, ret, { f: 'get', value }, outcome);
export const cas = (client: string, key: string, expect: string | null, value: string, succeeded: boolean | undefined, invoke: number, ret?: number) =>
  op(client, { f: 'cas', key, expect, value }, invoke, ret, succeeded === undefined ? undefined : { f: 'cas', succeeded });

/**
 * What a chaos run records: 3 clients taking turns on keys k1..k3, each put followed by reads of it; every
 * operation takes 2 ms and they overlap a little. Linearizable. Values are "<key>-<n>".
 */
export function recordedHistory(rounds = 30): RegisterOperation[] {
  const ops: RegisterOperation[] = [];
  let t = 0;
  for (let r = 0; r < rounds; r++) {
    const key = `k${(r % 3) + 1}`;
    const value = `${key}-${r}`;
    const c = `c${(r % 3) + 1}`;
    ops.push(put(c, key, value, t, t + 2));
    ops.push(get(`c${((r + 1) % 3) + 1}`, key, value, t + 3, t + 5));
    ops.push(get(`c${((r + 2) % 3) + 1}`, key, value, t + 4, t + 6));
    t += 7;
  }
  return ops;
}
