// PURE. Text and attribute escaping for the report page: every string from a run (keys, values, errors, fault
// texts, member names) goes through esc() before it reaches the HTML.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
