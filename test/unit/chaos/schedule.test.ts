import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePlannedFault, LEADER, parseFaultKinds, planSchedule, resolveFaultMembers, FAULT_KINDS } from '../../../src/chaos/schedule.js';
import { LabError } from '../../../src/errors.js';

const five = ['m1', 'm2', 'm3', 'm4', 'm5'];
const opts = { durationMs: 60_000, members: five, faults: FAULT_KINDS };

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
      const s = planSchedule({ seed, durationMs: 60_000, members, faults: FAULT_KINDS });
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
      assert.deepEqual(new Set(s.map((f) => f.kind)), new Set(FAULT_KINDS));
      assert.ok(s.some((f) => f.members.includes(LEADER)), 'the leader is hit sometimes');
    }
  }
});

test('only the kinds asked for; nothing fits in too short a run; one member gets no fault', () => {
  const s = planSchedule({ seed: 7, durationMs: 30_000, members: five, faults: ['kill'] });
  assert.ok(s.length > 0 && s.every((f) => f.kind === 'kill'));
  assert.deepEqual(planSchedule({ seed: 7, durationMs: 200, members: five, faults: FAULT_KINDS }), []);
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
