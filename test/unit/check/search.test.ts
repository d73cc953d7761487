// The search against a brute force on small random histories: every order of the operations that keeps real
// time, with each unknown-outcome operation either in it or not. Same verdict on every history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisterOperation } from '../../../src/check/history.js';
import { checkRegisterHistory } from '../../../src/check/linearizability.js';
import { ILLEGAL } from '../../../src/check/model.js';
import { registerModel } from '../../../src/check/models/register.js';
import { cas, get, put } from '../../helpers/histories.js';

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randomHistory(r: () => number, n: number): RegisterOperation[] {
  const values = ['a', 'b', 'c'];
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ops: RegisterOperation[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r() * 20);
    const roll = r();
    const ret = roll < 0.75 ? t + Math.floor(r() * 6) : undefined;
    const outcome = ret === undefined ? 'unknown' : roll < 0.68 ? 'ok' : 'fail';
    const kind = r();
    if (kind < 0.4) ops.push(put(`c${i}`, 'k', pick(values), t, ret, outcome));
    else if (kind < 0.8) ops.push(get(`c${i}`, 'k', pick([null, ...values]), t, ret, outcome));
    else {
      const o = cas(`c${i}`, 'k', pick([null, ...values]), pick(values), ret === undefined ? undefined : r() < 0.5, t, ret);
      if (outcome === 'fail') o.outcome = 'fail';
      ops.push(o);
    }
  }
  return ops;
}

function bruteForce(history: RegisterOperation[]): boolean {
  const ops = history.filter((o) => o.outcome !== 'fail' && !(o.outcome === 'unknown' && o.input.f === 'get'));
  const unknown = ops.filter((o) => o.outcome === 'unknown');
  const known = ops.filter((o) => o.outcome === 'ok');
  const precedes = (a: RegisterOperation, b: RegisterOperation): boolean => a.outcome === 'ok' && a.return! < b.invoke;
  const orders = (left: RegisterOperation[], state: string | null): boolean => {
    if (left.length === 0) return true;
    for (const o of left) {
      if (left.some((p) => p !== o && precedes(p, o))) continue;
      const s = registerModel.step(state, o.input, o.outcome === 'ok' ? o.output : undefined);
      if (s === ILLEGAL) continue;
      if (orders(left.filter((p) => p !== o), s)) return true;
    }
    return false;
  };
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const chosen = unknown.filter((_, i) => (mask >> i) & 1);
    if (orders([...known, ...chosen], null)) return true;
  }
  return false;
}

test('the search agrees with a brute force on 1500 random small histories (with unknown and failed operations)', () => {
  const r = rng(20261205);
  const seen = { linearizable: 0, 'not-linearizable': 0, unknown: 0 };
  for (let i = 0; i < 1500; i++) {
    const h = randomHistory(r, 3 + Math.floor(r() * 5));
    const want = bruteForce(h) ? 'linearizable' : 'not-linearizable';
    const got = checkRegisterHistory(h);
    assert.equal(got.verdict, want, JSON.stringify(h));
    seen[got.verdict]++;
    if (got.violation) {
      // the set shown is itself a violation, and a real one: it is the history's own operations
      assert.equal(bruteForce(got.violation.operations), false, JSON.stringify(got.violation.operations));
      for (const o of got.violation.operations) assert.ok(h.includes(o));
    }
  }
  assert.ok(seen.linearizable > 300 && seen['not-linearizable'] > 300, JSON.stringify(seen));
});
