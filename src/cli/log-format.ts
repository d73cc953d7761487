import { formatLogLine, parseLogLine } from '../etcd/zap.js';

const PALETTE = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92, 94, 31, 37, 90, 97];

/** One member line as shown on a terminal: `m1 | INFO  elected leader m2 at term 2`. Pure. */
export function formatMemberLine(
  member: string,
  text: string,
  opts: { color: boolean; raw: boolean; index: number; nameWidth: number; ids?: ReadonlyMap<string, string> },
): string {
  let body = text;
  if (!opts.raw) {
    const parsed = parseLogLine(text);
    if (parsed) {
      body = formatLogLine(parsed);
      if (opts.ids) for (const [id, name] of opts.ids) body = body.split(id).join(name);
    }
  }
  const label = `${member.padEnd(opts.nameWidth)} |`;
  if (!opts.color) return `${label} ${body}`;
  const code = PALETTE[opts.index % PALETTE.length]!;
  return `\u001b[${code}m${label}\u001b[0m ${body}`;
}
