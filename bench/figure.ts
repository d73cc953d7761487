// One measured figure, its baseline and target, and how it prints: `name: value (ratio vs baseline)`.
export type Unit = 'ms' | 'MB' | '%' | 'puts/s' | 'lines/s' | 'lines' | 'ops' | 'count' | 'x';

export interface Target {
  /** e.g. "<= 600 ms", ">= 5x faster than all-at-once". */
  text: string;
  met: boolean;
  /** How far inside the target (>= 1 met): 2 or more means "beaten easily". */
  margin: number;
}

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: Unit;
  baseline?: { label: string; value: number; unit: Unit };
  /** value vs baseline, phrased so that the reader knows which way is better, e.g. "5.2x faster". */
  ratio?: { value: number; text: string };
  target?: Target;
  note?: string;
}

export function fmt(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return 'n/a';
  switch (unit) {
    case 'ms':
      return v >= 10 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
    case 'MB':
      return `${v.toFixed(1)} MB`;
    case '%':
      return `${v.toFixed(1)} %`;
    case 'x':
      return `${v.toFixed(2)}x`;
    case 'ops':
      return `${Math.round(v).toLocaleString('en-US')} operations`;
    case 'count':
      return String(Math.round(v));
    default:
      return `${Math.round(v)} ${unit}`;
  }
}

/** A target on a number: "at most" or "at least". */
export function atMost(value: number, limit: number, text: string): Target {
  return { text, met: value <= limit, margin: value > 0 ? limit / value : Infinity };
}

export function atLeast(value: number, limit: number, text: string): Target {
  return { text, met: value >= limit, margin: limit > 0 ? value / limit : Infinity };
}

/** Time ratio: how many times faster `value` is than `baseline`. */
export function faster(value: number, baseline: number): { value: number; text: string } {
  const r = baseline / value;
  return { value: r, text: r >= 1 ? `${r.toFixed(2)}x faster` : `${(1 / r).toFixed(2)}x slower` };
}

export function verdict(t: Target): string {
  if (!t.met) return 'MISSED';
  return t.margin >= 2 ? 'met, beaten easily' : 'met';
}

export function line(f: Figure): string {
  let s = `${f.name}: ${fmt(f.value, f.unit)}`;
  if (f.ratio && f.baseline) s += ` (${f.ratio.text} vs ${f.baseline.label} ${fmt(f.baseline.value, f.baseline.unit)})`;
  else if (f.ratio) s += ` (${f.ratio.text})`;
  if (f.target) s += ` [target ${f.target.text}: ${verdict(f.target)}]`;
  if (f.note) s += ` — ${f.note}`;
  return s;
}
