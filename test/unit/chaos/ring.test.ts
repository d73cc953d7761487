import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import { majoritiesRing } from '../../../src/chaos/ring.js';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i + 1}`);
/** What a member sees, itself included, as a sorted key. */
const closed = (sees: Map<string, Set<string>>, m: string): string => [m, ...sees.get(m)!].sort().join(',');

describe('majoritiesRing', () => {
  for (const n of [3, 4, 5, 6, 7, 8, 9, 11]) {
    it(`${n} members: symmetric, each sees a majority, no two see the same one, and some link is cut`, () => {
      const order = names(n);
      const sees = majoritiesRing(order);
      const majority = Math.floor(n / 2) + 1;
      let links = 0;
      for (const m of order) {
        const s = sees.get(m)!;
        assert.ok(!s.has(m), `${m} is listed as seeing itself`);
        for (const o of s) assert.ok(sees.get(o)!.has(m), `${m} sees ${o} but not the other way round`);
        assert.ok(s.size + 1 >= majority, `${m} sees ${s.size + 1} of ${n}, fewer than a majority`);
        links += s.size;
      }
      assert.equal(new Set(order.map((m) => closed(sees, m))).size, n, 'two members see the same majority');
      assert.ok(links / 2 < (n * (n - 1)) / 2, 'every link is open: no fault at all');
    });
  }

  it('gives every member exactly a majority when the degrees allow it (n*floor(n/2) even)', () => {
    for (const n of [4, 5, 6, 8, 9, 10]) {
      const sees = majoritiesRing(names(n));
      for (const [m, s] of sees) assert.equal(s.size, Math.floor(n / 2), `${n} members: ${m} sees ${[...s].join(',')}`);
    }
  });

  it('for 3 and 7 members one member sees one more than a majority, every other exactly a majority', () => {
    for (const n of [3, 7]) {
      const sizes = [...majoritiesRing(names(n)).values()].map((s) => s.size).sort();
      const d = Math.floor(n / 2);
      assert.deepEqual(sizes, [...Array(n - 1).fill(d), d + 1]);
    }
  });

  it('5 members: each sees its two ring neighbours (Jepsen\'s perfect ring)', () => {
    const sees = majoritiesRing(['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual([...sees.get('a')!].sort(), ['b', 'e']);
    assert.deepEqual([...sees.get('c')!].sort(), ['b', 'd']);
  });

  it('follows the order it is given: a shuffled ring is another ring', () => {
    const sees = majoritiesRing(['m3', 'm1', 'm5', 'm2', 'm4']);
    assert.deepEqual([...sees.get('m1')!].sort(), ['m3', 'm5']);
  });

  it('refuses fewer than 3 members and repeated names', () => {
    assert.throws(() => majoritiesRing(['m1', 'm2']), (e) => e instanceof LabError && /at least 3/.test(e.message));
    assert.throws(() => majoritiesRing(['m1', 'm2', 'm1']), (e) => e instanceof LabError && /twice/.test(e.message));
  });
});
