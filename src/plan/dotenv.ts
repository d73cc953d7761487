// `.env` files as goreman (godotenv) and foreman read them, without variable expansion.
import { LabError } from '../errors.js';

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/**
 * Parses `KEY=value` lines: `export KEY=value`, `#` comments, blank lines and CRLF are fine. Values may be bare
 * (trimmed, ` #` starts a comment), single-quoted (literal) or double-quoted (`\n`, `\r`, `\t` and `\x` -> x).
 * A later line wins over an earlier one with the same key.
 */
export function parseDotenv(text: string, file = '.env'): Record<string, string> {
  const env: Record<string, string> = {};
  text.replace(/^\uFEFF/, '').split('\n').forEach((raw, i) => {
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fail = (what: string): never => {
      throw new LabError('BAD_PROCFILE', `${file}:${i + 1}: ${what}`, {
        hint: "write KEY=value (optionally `export KEY=value`); quote values with spaces, e.g. KEY='a b'",
      });
    };
    const m = LINE.exec(trimmed);
    if (!m) return fail(`expected KEY=value, found ${JSON.stringify(trimmed)}`);
    const [, key, rest] = m as unknown as [string, string, string];
    env[key] = readValue(rest, fail);
  });
  return env;
}

function readValue(rest: string, fail: (what: string) => never): string {
  const quote = rest[0];
  if (quote !== "'" && quote !== '"') return rest.replace(/\s+#.*$/, '').trim();

  let value = '';
  let i = 1;
  for (; i < rest.length && rest[i] !== quote; i++) {
    if (quote === '"' && rest[i] === '\\' && i + 1 < rest.length) {
      const next = rest[++i]!;
      value += ESCAPES[next] ?? next;
    } else {
      value += rest[i];
    }
  }
  if (i >= rest.length) fail(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  const after = rest.slice(i + 1).trim();
  if (after !== '' && !after.startsWith('#')) fail(`unexpected ${JSON.stringify(after)} after the closing quote`);
  return value;
}
