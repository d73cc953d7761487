// The control-socket operations of a lab (what RemoteLab calls). The lab is fetched per call: the supervisor loads its
// fault-injection code only once the members are starting, off the path of their start.
import { LabError } from '../errors.js';
import type { ControlHandler } from '../supervisor/control.js';
import type { DelayTarget, Lab } from './lab.js';

function str(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw new LabError('USAGE', `missing ${key}`);
  return v;
}

function seedOf(args: Record<string, unknown>): { seed?: number } {
  return typeof args.seed === 'number' ? { seed: args.seed } : {};
}

export function labHandlers(lab: () => Lab | Promise<Lab>): Record<string, ControlHandler> {
  return {
    'chaos.kill': async (a) =>
      (await lab()).kill(str(a, 'target'), { ...seedOf(a), ...(a.signal === 'SIGTERM' || a.signal === 'SIGKILL' ? { signal: a.signal } : {}) }),
    'chaos.pause': async (a) => (await lab()).pause(str(a, 'target'), seedOf(a)),
    'chaos.resume': async (a) => (await lab()).resume(str(a, 'target'), seedOf(a)),
    'chaos.restart': async (a) => (await lab()).restart(str(a, 'target'), seedOf(a)),
    'chaos.partition': async (a) => (await lab()).partition(a.groups as string[][]),
    'chaos.isolate': async (a) => (await lab()).isolate(str(a, 'target'), seedOf(a)),
    'chaos.cut': async (a) => (await lab()).cut(str(a, 'from'), str(a, 'to')),
    'chaos.delay': async (a) => (await lab()).delay(a.target as DelayTarget, Number(a.delayMs), Number(a.jitterMs ?? 0)),
    'chaos.drop': async (a) => (await lab()).drop(a.target as DelayTarget, Number(a.pct), seedOf(a)),
    'chaos.ring': async (a) => (await lab()).ring(Array.isArray(a.order) ? (a.order as string[]) : undefined, seedOf(a)),
    'chaos.replace': async (a) => (await lab()).replace(str(a, 'target'), seedOf(a)),
    'chaos.heal': async () => (await lab()).heal(),
    'chaos.link-stats': async () => (await lab()).linkStats(),
    'chaos.links': async () => (await lab()).links(),
  };
}
