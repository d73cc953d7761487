import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FAULT_KINDS, describePlannedFault, LEADER, parseFaultKinds, planSchedule, REPLACE_BUDGET_MS, resolveFaultMembers, FAULT_KINDS } from '../../../src/chaos/schedule.js';
import { majoritiesRing } from '../../../src/chaos/ring.js';
import { LabError } from '../../../src/errors.js';

const five = ['m1', 'm2', 'm3', 'm4', 'm5'];
const opts = { durationMs: 60_000, members: five, faults: DEFAULT_FAULT_KINDS };

test('the same seed gives the same schedule; other seeds give other ones', () => {
  const a = planSchedule({ seed: 1, ...opts });
  const b = planSchedule({ seed: 1, ...opts });
  assert.deepEqual(a, b);
  assert.ok(a.length >= 10, `a 60 s run has many faults, got ${a.length}`);
  const others = [2, 3, 42, 1000].map((seed) => JSON.stringify(planSchedule({ seed, ...opts })));
  for (const o of others) assert.notEqual(o, JSON.stringify(a));
  assert.equal(new Set(others).size, others.length);
});

test('one fault at a time, inside the duration, at most a minority, every kind used', () => {
  for (const seed of [1, 2, 3, 4, 5, 99]) {
    for (const members of [['a', 'b', 'c'], five, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']]) {
      const s = planSchedule({ seed, durationMs: 60_000, members, faults: DEFAULT_FAULT_KINDS });
      const minority = Math.floor((members.length - 1) / 2);
      let end = 0;
      s.forEach((f, i) => {
        assert.equal(f.n, i + 1);
        assert.ok(f.atMs >= end + 400, `fault ${f.n} starts after the previous one is undone and settled`);
        assert.ok(f.atMs + f.holdMs <= 60_000);
        end = f.atMs + f.holdMs;
        assert.ok(f.members.length >= 1 && f.members.length <= (f.kind === 'delay' ? 1 : minority), JSON.stringify(f));
        assert.equal(new Set(f.members).size, f.members.length);
        for (const m of f.members) assert.ok(m === LEADER || members.includes(m));
        if (f.kind === 'delay') assert.ok(f.delayMs !== undefined && f.delayMs > 0);
      });
      assert.deepEqual(new Set(s.map((f) => f.kind)), new Set(DEFAULT_FAULT_KINDS));
      assert.ok(s.some((f) => f.members.includes(LEADER)), 'the leader is hit sometimes');
    }
  }
});

test('only the kinds asked for; nothing fits in too short a run; one member gets no fault', () => {
  const s = planSchedule({ seed: 7, durationMs: 30_000, members: five, faults: ['kill'] });
  assert.ok(s.length > 0 && s.every((f) => f.kind === 'kill'));
  assert.deepEqual(planSchedule({ seed: 7, durationMs: 200, members: five, faults: FAULT_KINDS }), []);
  assert.deepEqual(planSchedule({ seed: 7, durationMs: 30_000, members: ['a', 'b'], faults: ['ring'] }), [], 'no ring on 2 members');
  assert.deepEqual(planSchedule({ seed: 7, durationMs: 30_000, members: ['solo'], faults: FAULT_KINDS }), []);
});

test('the leader placeholder is resolved when the fault fires', () => {
  const f = { n: 1, atMs: 0, holdMs: 1000, kind: 'kill' as const, members: [LEADER, 'm4'] };
  assert.deepEqual(resolveFaultMembers(f, 'm2', five), ['m2', 'm4']);
  // The leader is already named, or there is none: the first member not named yet stands in.
  assert.deepEqual(resolveFaultMembers(f, 'm4', five), ['m1', 'm4']);
  assert.deepEqual(resolveFaultMembers(f, null, five), ['m1', 'm4']);
  assert.deepEqual(resolveFaultMembers({ ...f, members: ['m3'] }, 'm2', five), ['m3']);
  assert.equal(describePlannedFault(f), 'kill leader+m4 for 1.00 s');
  assert.equal(describePlannedFault({ ...f, kind: 'delay', members: ['m2'], delayMs: 120, jitterMs: 20, holdMs: 900 }), 'delay m2 by 120±20 ms for 900 ms');
});

test('--faults parsing', () => {
  assert.deepEqual(parseFaultKinds('kill, partition,kill'), ['kill', 'partition']);
  assert.throws(() => parseFaultKinds('kill,partiton'), (e) => e instanceof LabError && e.exitCode === 2 && /unknown fault "partiton" \(did you mean "partition"\?\)/.test(e.message));
  assert.throws(() => parseFaultKinds(','), (e) => e instanceof LabError && /names no fault/.test(e.message));
});

const NEW_KINDS = ['drop', 'ring', 'term-leader', 'replace'] as const;

test('the new kinds: same seed same schedule, and the default kinds plan exactly as before they existed', () => {
  for (const seed of [1, 2, 3]) {
    const a = planSchedule({ seed, durationMs: 120_000, members: five, faults: FAULT_KINDS });
    assert.deepEqual(a, planSchedule({ seed, durationMs: 120_000, members: five, faults: FAULT_KINDS }));
    assert.deepEqual(new Set(a.map((f) => f.kind)), new Set(FAULT_KINDS), `seed ${seed}: every kind used in 120 s`);
  }
  // Seed 1's first faults of the default kinds as the planner made them before drop/ring/term-leader/replace were
  // added (README's `chaos --seed 1` output depends on it).
  assert.deepEqual(planSchedule({ seed: 1, ...opts }).slice(0, 3), [
    { n: 1, atMs: 739, holdMs: 1555, kind: 'kill', members: ['m5', 'm1'] },
    { n: 2, atMs: 3788, holdMs: 1182, kind: 'pause', members: ['leader'] },
    { n: 3, atMs: 5804, holdMs: 1072, kind: 'delay', members: ['leader'], delayMs: 117, jitterMs: 8 },
  ]);
});

test('the new kinds keep every member with a majority for longer than a hold, and fit the run', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    for (const members of [['a', 'b', 'c'], five, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']]) {
      const s = planSchedule({ seed, durationMs: 40_000, members, faults: NEW_KINDS });
      assert.ok(s.length > 0);
      let end = 0;
      for (const f of s) {
        assert.ok(f.n === 1 || f.atMs >= end + 400, `fault ${f.n} starts after the previous one is over`);
        const busy = f.kind === 'replace' ? REPLACE_BUDGET_MS : 0;
        assert.ok(f.atMs + busy + f.holdMs <= 40_000);
        end = f.atMs + busy + f.holdMs;
        switch (f.kind) {
          case 'drop':
            assert.equal(f.members.length, 1);
            assert.ok(f.dropPct !== undefined && f.dropPct >= 10 && f.dropPct <= 50, JSON.stringify(f));
            break;
          case 'replace':
            assert.equal(f.members.length, 1, 'one member replaced at a time');
            break;
          case 'term-leader':
            assert.deepEqual(f.members, [LEADER]);
            break;
          case 'ring': {
            assert.deepEqual([...f.members].sort(), [...members].sort(), 'the ring places every member once');
            const sees = majoritiesRing(f.members);
            for (const m of members) assert.ok(sees.get(m)!.size + 1 > members.length / 2, `${m} keeps a majority in the ring`);
            break;
          }
          default:
            assert.fail(`unexpected kind ${f.kind}`);
        }
      }
    }
  }
});

test('a 6 s run has room for one replace (its budget counted), and term-leader needs someone to stand in', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const s = planSchedule({ seed, durationMs: 6000, members: ['m1', 'm2', 'm3'], faults: ['replace'] });
    assert.equal(s.length, 1, `seed ${seed}: ${JSON.stringify(s)}`);
  }
  assert.deepEqual(planSchedule({ seed: 1, durationMs: 30_000, members: ['solo'], faults: ['term-leader', 'replace'] }), []);
});

test('describePlannedFault words the new kinds', () => {
  const f = { n: 1, atMs: 0, holdMs: 1000 };
  assert.equal(describePlannedFault({ ...f, kind: 'drop', members: ['m2'], dropPct: 30 }), "drop 30% of m2's messages for 1.00 s");
  assert.equal(describePlannedFault({ ...f, kind: 'ring', members: ['m3', 'm1', 'm2', 'm5', 'm4'] }), 'majorities ring m3-m1-m2-m5-m4 for 1.00 s');
  assert.equal(describePlannedFault({ ...f, kind: 'term-leader', members: [LEADER] }), 'SIGTERM the leader (a leadership transfer), restart it after 1.00 s');
  assert.equal(describePlannedFault({ ...f, kind: 'replace', members: ['m2'], holdMs: 500 }), 'replace m2 by a new member (empty data dir), then 500 ms of quiet');
  assert.deepEqual(parseFaultKinds('drop,ring,term-leader,replace'), ['drop', 'ring', 'term-leader', 'replace']);
});
