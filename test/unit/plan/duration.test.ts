import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../src/plan/duration.js';
import { LabError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it('reads numbers with units, adding up parts', () => {
    const cases: [string, number][] = [
      ['200ms', 200], ['1.5s', 1500], ['60s', 60_000], ['2m', 120_000], ['1m30s', 90_000], ['1h', 3_600_000],
      ['1h2m3s4ms', 3_723_004], ['0', 0], ['0s', 0], ['.5s', 500], [' 2s ', 2000], ['1m 30s', 90_000],
      ['850 ms', 850], ['1.23 s', 1230], ['2m05s', 125_000], ['0.5ms', 0.5],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  it('reads back what formatDuration writes', () => {
    for (const ms of [0, 7, 850, 1230, 59_990, 125_000, 3_725_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
    }
  });

  it('refuses bare numbers, asking for a unit', () => {
    for (const text of ['200', '1.5', ' 10 ']) {
      assert.throws(() => parseDuration(text, '--timeout'), (e: unknown) => {
        assert.ok(e instanceof LabError);
        assert.equal(e.code, 'BAD_DURATION');
        assert.equal(e.message, `--timeout ${JSON.stringify(text)} has no unit`);
        assert.match(e.hint ?? '', new RegExp(`${text.trim().replace('.', '\\.')}ms or ${text.trim().replace('.', '\\.')}s`));
        return true;
      });
    }
  });

  it('refuses negative, empty and malformed input, echoing it with examples', () => {
    const cases: [string, RegExp][] = [
      ['-1s', /"-1s" is negative/], ['-5', /is negative/], ['', /is empty/], ['   ', /is empty/],
      ['abc', /"abc" is not a duration/], ['NaN', /not a duration/], ['Infinity', /not a duration/],
      ['1x', /cannot read "1x"/], ['1m5', /cannot read "5"/], ['s', /not a duration/], ['1e3ms', /not a duration/],
      ['1,5s', /not a duration/], ['1S', /not a duration/], ['1.s', /not a duration/], [`1${'0'.repeat(400)}s`, /too large/],
    ];
    for (const [text, fragment] of cases) {
      assert.throws(() => parseDuration(text), (e: unknown) => {
        assert.ok(e instanceof LabError, text);
        assert.equal(e.code, 'BAD_DURATION');
        assert.ok(e.message.startsWith('duration '), e.message);
        assert.match(e.message, fragment);
        assert.match(e.hint ?? '', /e\.g\. 200ms, 1\.5s/);
        assert.equal(e.exitCode, 2);
        return true;
      }, text);
    }
  });
});

describe('formatDuration', () => {
  it('picks ms, s or minutes', () => {
    const cases: [number, string][] = [
      [0, '0 ms'], [850, '850 ms'], [999.4, '999 ms'], [999.6, '1.00 s'], [1234, '1.23 s'], [1500, '1.50 s'],
      [59_994, '59.99 s'], [59_996, '1m00s'], [60_000, '1m00s'], [125_000, '2m05s'], [3_599_600, '1h00m00s'],
      [3_725_000, '1h02m05s'], [-850, '-850 ms'], [NaN, 'NaN'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  });
});
