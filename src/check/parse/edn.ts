// PURE. Just enough of Clojure's EDN to read one history event a line: maps, vectors, keywords, strings, numbers,
// nil, true/false. Commas are whitespace. Values come back as: null, boolean, number (integers beyond 2^53 stay
// text), string, { keyword: ':name' }, arrays, and Map<string, value> for maps keyed by keywords.

export type Edn = null | boolean | number | string | { keyword: string } | Edn[] | Map<string, Edn>;

export class EdnError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

export function parseEdn(text: string): Edn {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new EdnError(`expected ${what}, found ${i < text.length ? JSON.stringify(text.slice(i, i + 12)) : 'the end of the line'}`, i + 1);
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && !/[\s,{}[\]()"]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const value = (): Edn => {
    ws();
    const c = text[i];
    if (c === undefined) return fail('a value');
    if (c === '{') {
      i++;
      const m = new Map<string, Edn>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        const k = value();
        if (typeof k !== 'object' || k === null || !('keyword' in k)) return fail('a keyword as map key');
        const v = value();
        m.set(k.keyword, v);
      }
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const a: Edn[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return a;
        }
        if (i >= text.length) return fail(`"${close}"`);
        a.push(value());
      }
    }
    if (c === '"') {
      i++;
      let s = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const e = text[++i];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
          i++;
        } else s += text[i++];
      }
      if (text[i] !== '"') return fail('a closing quote');
      i++;
      return s;
    }
    const t = token();
    if (t === '') return fail('a value');
    if (t.startsWith(':')) return { keyword: t.slice(1) };
    if (t === 'nil') return null;
    if (t === 'true' || t === 'false') return t === 'true';
    if (/^[+-]?\d+N?$/.test(t)) {
      const n = Number(t.replace(/N$/, ''));
      return Number.isSafeInteger(n) ? n : t;
    }
    if (/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+)M?$/.test(t)) return Number(t.replace(/M$/, ''));
    return t; // a symbol: kept as its text
  };
  const v = value();
  ws();
  if (i < text.length) fail('the end of the line');
  return v;
}

/** The text of a scalar as a history value (keywords keep their colon). */
export function ednText(v: Edn): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => ednText(x) ?? 'nil').join(' ')}]`;
  if (v instanceof Map) return '{…}';
  return `:${v.keyword}`;
}

/** A value as EDN would write it, for messages: strings quoted, nil as nil, an absent value as said. */
export function ednShow(v: Edn | undefined): string {
  if (v === undefined) return '(no value)';
  if (v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(ednShow).join(' ')}]`;
  return ednText(v)!;
}

export const isKeyword = (v: Edn | undefined, name?: string): v is { keyword: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && (name === undefined || v.keyword === name);
