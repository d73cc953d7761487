// PURE. The report's colours: one per outcome, one per member (stable: by the member's place in the run).
import type { Outcome } from '../check/history.js';

export const OUTCOME_COLOR: Record<Outcome, string> = { ok: '#2f9e44', fail: '#e03131', unknown: '#f08c00' };

const MEMBER_PALETTE = ['#1c7ed6', '#ae3ec9', '#0ca678', '#e8590c', '#5c7cfa', '#d6336c', '#66a80f', '#1098ad', '#845ef7'];

export function memberColor(members: readonly string[], name: string): string {
  const i = members.indexOf(name);
  return MEMBER_PALETTE[(i < 0 ? members.length : i) % MEMBER_PALETTE.length]!;
}

export const FAULT_FILL = '#ffe3e3';
export const NO_LEADER = '#fa5252';
