import { describe as suite, it } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import {
  OPEN_LINK,
  cut,
  delay,
  drop,
  dropsMessage,
  parseDropRate,
  ring,
  describe,
  emptyLinks,
  heal,
  isClean,
  isolate,
  link,
  parseLinkSpec,
  partition,
  sampleDelay,
  withoutMajority,
  type LinkTable,
} from '../../../src/chaos/links.js';

const M = ['m1', 'm2', 'm3'];

function cuts(t: LinkTable): string[] {
  const out: string[] = [];
  for (const f of t.members) for (const d of t.members) if (f !== d && link(t, f, d).cut) out.push(`${f}>${d}`);
  return out;
}

function throwsLab(fn: () => unknown, code: string, message: RegExp, hint?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LabError, `expected LabError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    if (hint) assert.match(e.hint ?? '', hint);
    return true;
  });
}

suite('link table', () => {
  it('starts with every directed pair open', () => {
    const t = emptyLinks(M);
    assert.deepEqual(Object.keys(t.rules).sort(), M);
    for (const f of M) for (const d of M) assert.deepEqual(link(t, f, d), OPEN_LINK);
    assert.equal(isClean(t), true);
    assert.deepEqual(describe(t), []);
  });

  it('refuses duplicate or empty member names', () => {
    throwsLab(() => emptyLinks(['a', 'b', 'a']), 'BAD_NAME', /"a" appears twice/);
    throwsLab(() => emptyLinks(['a', '']), 'BAD_NAME', /empty/);
  });

  it('cut is one direction only and leaves the input untouched', () => {
    const t0 = emptyLinks(M);
    const t1 = cut(t0, 'm1', 'm2');
    assert.deepEqual(cuts(t1), ['m1>m2']);
    assert.equal(link(t1, 'm2', 'm1').cut, false);
    assert.deepEqual(cuts(t0), [], 'the original table changed');
    assert.deepEqual(describe(t1), ['m1 -x-> m2']);
    assert.equal(isClean(t1), false);
  });

  it('cut refuses a member to itself and unknown members', () => {
    const t = emptyLinks(M);
    throwsLab(() => cut(t, 'm1', 'm1'), 'BAD_TARGET', /"m1" twice/);
    throwsLab(() => cut(t, 'm1', 'm4'), 'UNKNOWN_MEMBER', /unknown member "m4"/, /members: m1, m2, m3/);
    throwsLab(() => cut(t, 'M2', 'm1'), 'UNKNOWN_MEMBER', /"M2"/, /did you mean "m2"/);
  });

  it('isolate cuts both directions of every link of the member, nothing else', () => {
    const t = isolate(emptyLinks(M), 'm2');
    assert.deepEqual(cuts(t), ['m1>m2', 'm2>m1', 'm2>m3', 'm3>m2']);
    assert.deepEqual(describe(t), ['m1 -x-> m2', 'm2 -x-> m1', 'm2 -x-> m3', 'm3 -x-> m2']);
    throwsLab(() => isolate(emptyLinks(['solo']), 'solo'), 'BAD_TARGET', /only member/);
    throwsLab(() => isolate(emptyLinks(M), 'leader'), 'UNKNOWN_MEMBER', /"leader"/);
  });

  it('partition cuts exactly the links between groups', () => {
    const five = ['a', 'b', 'c', 'd', 'e'];
    const t = partition(emptyLinks(five), [['a', 'b'], ['c', 'd', 'e']]);
    for (const f of five) {
      for (const d of five) {
        if (f === d) continue;
        const across = ['a', 'b'].includes(f) !== ['a', 'b'].includes(d);
        assert.equal(link(t, f, d).cut, across, `${f}->${d}`);
      }
    }
    const three = partition(emptyLinks(M), [['m1'], ['m2'], ['m3']]);
    assert.equal(cuts(three).length, 6);
  });

  it('partition validation says what is wrong', () => {
    const t = emptyLinks(M);
    throwsLab(() => partition(t, [['m1', 'm2', 'm3']]), 'BAD_PARTITION', /at least 2 groups, got 1/);
    throwsLab(() => partition(t, []), 'BAD_PARTITION', /at least 2 groups, got 0/);
    throwsLab(() => partition(t, [['m1'], ['m2', 'mm3']]), 'BAD_PARTITION', /"mm3", which is not a member/, /did you mean "m3"/);
    throwsLab(() => partition(t, [['m1', 'm2'], ['m2', 'm3']]), 'BAD_PARTITION', /"m2" is in groups 1 and 2/);
    throwsLab(() => partition(t, [['m1', 'm1'], ['m2', 'm3']]), 'BAD_PARTITION', /"m1" is twice in group 1/);
    throwsLab(() => partition(t, [['m1'], ['m2']]), 'BAD_PARTITION', /leaves out "m3"/);
    throwsLab(() => partition(t, [['m1', 'm2', 'm3'], []]), 'BAD_PARTITION', /group 2 of the partition is empty/);
  });

  it('withoutMajority: a ring alone leaves every member a majority; over an earlier partition it does not', () => {
    assert.deepEqual(withoutMajority(emptyLinks(M)), []);
    const alone = ring(emptyLinks(M), M);
    assert.deepEqual(cuts(alone), ['m2>m3', 'm3>m2']);
    assert.deepEqual(withoutMajority(alone), []);
    const over = ring(partition(emptyLinks(M), [['m1', 'm2'], ['m3']]), M);
    assert.deepEqual(withoutMajority(over), ['m3']);
    // one direction cut is enough: the pair no longer exchanges messages
    assert.deepEqual(withoutMajority(cut(cut(emptyLinks(M), 'm1', 'm3'), 'm2', 'm3')), ['m3']);
  });

  it('faults accumulate: a partition does not reopen an earlier cut inside a group', () => {
    let t = cut(emptyLinks(M), 'm1', 'm2');
    t = partition(t, [['m1', 'm2'], ['m3']]);
    assert.deepEqual(cuts(t), ['m1>m2', 'm1>m3', 'm2>m3', 'm3>m1', 'm3>m2']);
    t = isolate(t, 'm3');
    assert.equal(cuts(t).length, 5);
  });

  it('delay on a member applies to all its links both ways; on a link to that direction only', () => {
    let t = delay(emptyLinks(M), { member: 'm1' }, 200, 50);
    for (const [f, d] of [['m1', 'm2'], ['m2', 'm1'], ['m1', 'm3'], ['m3', 'm1']]) {
      assert.deepEqual(link(t, f, d), { cut: false, delayMs: 200, jitterMs: 50, dropPct: 0 });
    }
    assert.deepEqual(link(t, 'm2', 'm3'), OPEN_LINK);
    t = delay(t, { from: 'm2', to: 'm3' }, 30);
    assert.deepEqual(link(t, 'm2', 'm3'), { cut: false, delayMs: 30, jitterMs: 0, dropPct: 0 });
    assert.deepEqual(link(t, 'm3', 'm2'), OPEN_LINK);
    assert.deepEqual(describe(t), ['m1 ~200ms±50~> m2', 'm1 ~200ms±50~> m3', 'm2 ~200ms±50~> m1', 'm2 ~30ms~> m3', 'm3 ~200ms±50~> m1']);
  });

  it('delay and cut compose: a cut keeps its delay, describe shows the cut', () => {
    let t = delay(emptyLinks(M), { member: 'm2' }, 100);
    t = cut(t, 'm2', 'm3');
    assert.deepEqual(link(t, 'm2', 'm3'), { cut: true, delayMs: 100, jitterMs: 0, dropPct: 0 });
    assert.ok(describe(t).includes('m2 -x-> m3'));
    assert.ok(describe(t).includes('m3 ~100ms~> m2'));
    t = delay(t, { member: 'm2' }, 0, 0);
    assert.deepEqual(describe(t), ['m2 -x-> m3'], 'a zero delay removes the delay but not the cut');
  });

  it('delay validates its numbers and targets', () => {
    const t = emptyLinks(M);
    throwsLab(() => delay(t, { member: 'm1' }, -1), 'BAD_DURATION', /delay.*-1/);
    throwsLab(() => delay(t, { member: 'm1' }, 10, 1.5), 'BAD_DURATION', /jitter.*1.5/);
    throwsLab(() => delay(t, { member: 'm1' }, Number.NaN), 'BAD_DURATION', /NaN/);
    throwsLab(() => delay(t, { member: 'x' }, 10), 'UNKNOWN_MEMBER', /"x"/);
    throwsLab(() => delay(t, { from: 'm1', to: 'm1' }, 10), 'BAD_TARGET', /twice/);
  });

  it('heal opens everything and removes delays, keeping the members', () => {
    let t = partition(emptyLinks(M), [['m1'], ['m2', 'm3']]);
    t = delay(t, { member: 'm3' }, 40, 5);
    const h = heal(t);
    assert.equal(isClean(h), true);
    assert.deepEqual(h, emptyLinks(M));
  });

  it('link of a member to itself is open; unknown names are refused', () => {
    const t = isolate(emptyLinks(M), 'm1');
    assert.deepEqual(link(t, 'm1', 'm1'), OPEN_LINK);
    throwsLab(() => link(t, 'm1', 'nope'), 'UNKNOWN_MEMBER', /"nope"/);
  });

  it('the table is JSON-serialisable and round-trips', () => {
    const t = delay(cut(emptyLinks(M), 'm3', 'm1'), { member: 'm2' }, 10, 2);
    const back = JSON.parse(JSON.stringify(t)) as LinkTable;
    assert.deepEqual(back, t);
    assert.deepEqual(describe(back), describe(t));
  });
});

suite('parseLinkSpec', () => {
  it('parses FROM->TO with optional spaces', () => {
    assert.deepEqual(parseLinkSpec('m1->m2', M), { from: 'm1', to: 'm2' });
    assert.deepEqual(parseLinkSpec(' m3 -> m1 ', M), { from: 'm3', to: 'm1' });
  });

  it('refuses malformed specs with an example', () => {
    for (const bad of ['m1', 'm1-m2', '->m2', 'm1->', 'm1->m2->m3', 'm1<->m2', '']) {
      throwsLab(() => parseLinkSpec(bad, M), 'BAD_TARGET', /expected FROM->TO/, /e\.g\. m1->m2/);
    }
    throwsLab(() => parseLinkSpec('m2->m2', M), 'BAD_TARGET', /to itself/);
  });

  it('names the unknown member with a did-you-mean', () => {
    throwsLab(() => parseLinkSpec('m1->n2', M), 'UNKNOWN_MEMBER', /unknown member "n2" in link "m1->n2"/, /did you mean "m2"/);
    throwsLab(() => parseLinkSpec('zzzzzz->m2', M), 'UNKNOWN_MEMBER', /"zzzzzz"/, /^members: m1, m2, m3$/);
  });
});

suite('sampleDelay', () => {
  it('samples uniformly within delay ± jitter, never below 0', () => {
    const rule = { cut: false, delayMs: 200, jitterMs: 50, dropPct: 0 };
    assert.equal(sampleDelay(rule, () => 0), 150);
    assert.equal(sampleDelay(rule, () => 0.5), 200);
    assert.equal(sampleDelay(rule, () => 0.999999), 250);
    assert.equal(sampleDelay({ cut: false, delayMs: 10, jitterMs: 30, dropPct: 0 }, () => 0), 0);
    assert.equal(sampleDelay({ cut: false, delayMs: 7, jitterMs: 0, dropPct: 0 }, () => 0.9), 7);
    assert.equal(sampleDelay(OPEN_LINK, Math.random), 0);
  });
});

suite('drop', () => {
  it('sets a drop rate on one direction, or on every link of a member both ways, and describes it', () => {
    const one = drop(emptyLinks(M), { from: 'm1', to: 'm2' }, 30);
    assert.equal(link(one, 'm1', 'm2').dropPct, 30);
    assert.equal(link(one, 'm2', 'm1').dropPct, 0);
    assert.deepEqual(describe(one), ['m1 -30%-> m2']);
    assert.equal(isClean(one), false);
    const all = drop(emptyLinks(M), { member: 'm3' }, 12.5);
    assert.deepEqual(describe(all), ['m1 -12.5%-> m3', 'm2 -12.5%-> m3', 'm3 -12.5%-> m1', 'm3 -12.5%-> m2']);
  });

  it('shows drop and delay together, and a cut over both', () => {
    const t = delay(drop(emptyLinks(M), { from: 'm1', to: 'm2' }, 30), { from: 'm1', to: 'm2' }, 200, 0);
    assert.deepEqual(describe(t), ['m1 -30% ~200ms~> m2']);
    assert.deepEqual(describe(cut(t, 'm1', 'm2')), ['m1 -x-> m2']);
  });

  it('0 removes it and heal clears it', () => {
    const t = drop(emptyLinks(M), { member: 'm1' }, 50);
    assert.equal(isClean(drop(t, { member: 'm1' }, 0)), true);
    assert.equal(isClean(heal(t)), true);
  });

  it('refuses rates outside 0-100 and unknown members', () => {
    throwsLab(() => drop(emptyLinks(M), { member: 'm1' }, 101), 'USAGE', /0 to 100/);
    throwsLab(() => drop(emptyLinks(M), { member: 'm1' }, -1), 'USAGE', /0 to 100/);
    throwsLab(() => drop(emptyLinks(M), { member: 'm9' }, 10), 'UNKNOWN_MEMBER', /m9/);
  });

  it('parses 30%, 30 and 12.5%, refuses the rest', () => {
    assert.equal(parseDropRate('30%'), 30);
    assert.equal(parseDropRate('30'), 30);
    assert.equal(parseDropRate('12.5%'), 12.5);
    for (const bad of ['101%', '-5%', 'lots', '', '0.001%']) throwsLab(() => parseDropRate(bad), 'USAGE', /drop rate/);
  });

  it('dropsMessage draws once per message: never at 0, always at 100, the share of draws below the rate otherwise', () => {
    const rule = (dropPct: number) => ({ ...OPEN_LINK, dropPct });
    let draws = 0;
    const counting = () => {
      draws++;
      return 0;
    };
    assert.equal(dropsMessage(rule(0), counting), false);
    assert.equal(draws, 0, 'an open link must not consume random draws');
    assert.equal(dropsMessage(rule(100), () => 0.999999), true);
    assert.equal(dropsMessage(rule(30), () => 0.29), true);
    assert.equal(dropsMessage(rule(30), () => 0.3), false);
  });
});

suite('ring', () => {
  const F = ['m1', 'm2', 'm3', 'm4', 'm5'];
  it('cuts both ways every link between members that are not ring neighbours', () => {
    const t = ring(emptyLinks(F), ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.deepEqual(cuts(t).sort(), ['m1>m3', 'm1>m4', 'm2>m4', 'm2>m5', 'm3>m1', 'm3>m5', 'm4>m1', 'm4>m2', 'm5>m2', 'm5>m3']);
    assert.equal(link(t, 'm1', 'm2').cut, false);
    assert.equal(link(t, 'm5', 'm1').cut, false);
  });

  it('refuses a ring that leaves out or invents a member', () => {
    throwsLab(() => ring(emptyLinks(F), ['m1', 'm2', 'm3', 'm4']), 'BAD_PARTITION', /leaves out "m5"/);
    throwsLab(() => ring(emptyLinks(F), ['m1', 'm2', 'm3', 'm4', 'm6']), 'BAD_PARTITION', /"m6", which is not a member/);
  });
});
