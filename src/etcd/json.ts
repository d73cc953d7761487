/** Integer literals longer than this many digits may not survive a double, so they are kept as strings. */
const MAX_SAFE_DIGITS = 15;

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * Rewrites JSON text so that bare integer literals with more than 15 digits become JSON strings.
 * Text inside strings is left alone; a number with a fraction or exponent is left alone.
 */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || isDigit(c)) {
      const start = i;
      if (c === '-') i++;
      while (i < text.length && isDigit(text[i]!)) i++;
      const digits = i - start - (c === '-' ? 1 : 0);
      let integer = true;
      while (i < text.length && /[.eE+\-0-9]/.test(text[i]!)) {
        integer = false;
        i++;
      }
      if (integer && digits > MAX_SAFE_DIGITS) {
        out += text.slice(copiedUpTo, start) + '"' + text.slice(start, i) + '"';
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/**
 * `JSON.parse` that keeps 64-bit integers exact: bare integers with more than 15 digits come back as
 * decimal strings (etcd's peer `/members` prints raw uint64 member IDs as numbers).
 */
export function parseJsonSafe(text: string): unknown {
  return JSON.parse(quoteBigIntegers(text));
}
