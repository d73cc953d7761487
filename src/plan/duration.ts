// Durations as people type them (`200ms`, `1.5s`, `1m30s`) and as etcd-lab prints them.
import { LabError } from '../errors.js';

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|h|m|s)\s*/y;
const EXAMPLES = 'e.g. 200ms, 1.5s, 60s, 2m or 1m30s';

/**
 * Parses a duration into milliseconds (possibly fractional). Every number needs a unit (h, m, s, ms); parts add up,
 * so `1m30s` is 90000. `0` alone is accepted. Bare numbers, negative values and anything else are refused.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const input = text.trim();
  const fail = (why: string, hint = `write a number with a unit, ${EXAMPLES}`): never => {
    throw new LabError('BAD_DURATION', `${what} ${JSON.stringify(text)} ${why}`, { hint });
  };
  if (input === '0') return 0;
  if (input.startsWith('-')) fail('is negative', `durations are zero or more, ${EXAMPLES}`);
  if (/^(\d+(\.\d+)?|\.\d+)$/.test(input)) {
    fail('has no unit', `add a unit so it is not ambiguous: ${input}ms or ${input}s (${EXAMPLES})`);
  }
  if (input === '') fail('is empty');

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const at = PART.lastIndex;
    const m = PART.exec(input);
    if (!m) return fail(`is not a duration (cannot read ${JSON.stringify(input.slice(at))})`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (!Number.isFinite(total)) fail('is too large');
  return total;
}

/** `850 ms`, `1.23 s`, `2m05s`, `1h02m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const seconds = (ms / 1000).toFixed(2);
  if (Number(seconds) < 60) return `${seconds} s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${s}s` : `${m}m${s}s`;
}
