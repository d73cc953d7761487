// PURE. Scales and ticks for the report's charts. Every chart shares one time scale (ms since the run started).
export const WIDTH = 1200;
export const LEFT = 132;
export const RIGHT = 24;

export interface TimeScale {
  /** The last ms shown (the run's end, or later when something in the run is later). */
  endMs: number;
  x(t: number): number;
  x0: number;
  x1: number;
}

export function timeScale(endMs: number, x0 = LEFT, x1 = WIDTH - RIGHT): TimeScale {
  const end = endMs > 0 ? endMs : 1;
  const k = (x1 - x0) / end;
  return { endMs: end, x0, x1, x: (t) => x0 + Math.min(Math.max(t, 0), end) * k };
}

/** A round step (1, 2 or 5 times a power of ten) giving about `target` ticks over `range`. */
export function niceStep(range: number, target: number): number {
  if (!(range > 0)) return 1;
  const raw = range / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** Ticks from 0 (or the first multiple of the step at or above min) up to max. */
export function linearTicks(min: number, max: number, target: number): number[] {
  const step = niceStep(max - min, target);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

export interface YScale {
  y(v: number): number;
  ticks: number[];
}

/** Linear from 0 to a round maximum at or above `max`, drawn between `top` and `bottom` (y grows downwards). */
export function linearY(max: number, top: number, bottom: number, target = 4): YScale {
  const step = niceStep(max > 0 ? max : 1, target);
  const hi = Math.max(step, Math.ceil((max > 0 ? max : 1) / step) * step);
  const ticks = linearTicks(0, hi, target);
  return { ticks, y: (v) => bottom - (Math.min(Math.max(v, 0), hi) / hi) * (bottom - top) };
}

/** Logarithmic over whole decades covering [min, max] (both > 0). */
export function logY(min: number, max: number, top: number, bottom: number): YScale {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, min, 1e-3))));
  const ticks: number[] = [];
  for (let d = lo; d <= hi; d++) ticks.push(10 ** d);
  return {
    ticks,
    y: (v) => {
      const l = Math.min(Math.max(Math.log10(Math.max(v, 1e-6)), lo), hi);
      return bottom - ((l - lo) / (hi - lo)) * (bottom - top);
    },
  };
}
