// etcd's structured (zap JSON) log lines: parse, render as one short line, and pick out raft role changes.
import { parseJsonSafe } from './json.js';

export interface LogLine {
  /** Lowercase zap level: debug, info, warn, error, dpanic, panic, fatal. */
  level: string;
  ts: Date;
  msg: string;
  caller?: string;
  /** Every other key of the line, e.g. `local-member-id`, `error`, `logger` (3.5). */
  fields: Record<string, unknown>;
}

export type RaftEventKind =
  | 'elected-leader'
  | 'became-leader'
  | 'lost-leader'
  | 'became-candidate'
  | 'became-pre-candidate'
  | 'became-follower';

export interface RaftEvent {
  kind: RaftEventKind;
  term?: number;
  /** The leader elected / lost / become (for `became-leader`: the logging member itself). */
  leaderId?: string;
  /** The member that wrote the line (hex ID). */
  memberId: string;
  at: Date;
}

/** Parses one etcd zap JSON line; null for anything else (capnslog text, blank lines, other JSON). */
export function parseLogLine(line: string): LogLine | null {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  let obj: unknown;
  try {
    obj = parseJsonSafe(text);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const { level, ts, msg, caller, ...fields } = obj as Record<string, unknown>;
  if (typeof level !== 'string' || typeof msg !== 'string') return null;
  // zap's default encoder writes epoch seconds; etcd's writes ISO 8601 (3.4: ms + Z, 3.5: ms + offset or µs + Z).
  const at = typeof ts === 'number' ? new Date(ts * 1000) : typeof ts === 'string' ? new Date(ts) : null;
  if (at === null || Number.isNaN(at.getTime())) return null;
  const out: LogLine = { level: level.toLowerCase(), ts: at, msg, fields };
  if (typeof caller === 'string') out.caller = caller;
  return out;
}

const HEX_ID = '[0-9a-f]{1,16}';
const RAFT_PATTERNS: { re: RegExp; kind: RaftEventKind; leader: 'self' | 'other' | 'none' }[] = [
  { re: new RegExp(`^raft\\.node: (${HEX_ID}) elected leader (${HEX_ID}) at term (\\d+)$`), kind: 'elected-leader', leader: 'other' },
  { re: new RegExp(`^raft\\.node: (${HEX_ID}) lost leader (${HEX_ID}) at term (\\d+)$`), kind: 'lost-leader', leader: 'other' },
  { re: new RegExp(`^(${HEX_ID}) became leader at term (\\d+)$`), kind: 'became-leader', leader: 'self' },
  { re: new RegExp(`^(${HEX_ID}) became candidate at term (\\d+)$`), kind: 'became-candidate', leader: 'none' },
  { re: new RegExp(`^(${HEX_ID}) became pre-candidate at term (\\d+)$`), kind: 'became-pre-candidate', leader: 'none' },
  { re: new RegExp(`^(${HEX_ID}) became follower at term (\\d+)$`), kind: 'became-follower', leader: 'none' },
];

/** Recognises raft's role-change messages (the same text in 3.4, 3.5 and 3.6). */
export function raftEvent(line: LogLine): RaftEvent | null {
  for (const p of RAFT_PATTERNS) {
    const m = p.re.exec(line.msg);
    if (!m) continue;
    const memberId = m[1]!;
    const ev: RaftEvent = { kind: p.kind, memberId, at: line.ts };
    if (p.leader === 'other') {
      ev.leaderId = m[2]!;
      ev.term = Number(m[3]);
    } else {
      ev.term = Number(m[2]);
      if (p.leader === 'self') ev.leaderId = memberId;
    }
    return ev;
  }
  return null;
}

/** Keys that repeat what the reader already knows (which member, which build) or are noise in one line. */
const HIDDEN_FIELDS = new Set([
  'local-member-id',
  'logger',
  'stacktrace',
  'git-sha',
  'go-version',
  'go-os',
  'go-arch',
  'max-cpu-set',
  'max-cpu-available',
]);
const FIRST_FIELDS = ['error', 'remote-peer-id', 'peer-id', 'address'];
const MAX_LINE = 200;

function compact(v: unknown): string {
  const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');
  if (typeof v === 'string') {
    const s = oneLine(v);
    return s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s;
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' && !/[\s,"]/.test(x))) return v.join(',');
  return oneLine(JSON.stringify(v) ?? String(v));
}

/** The message without raft's `raft.node: <self-id>` / `<self-id>` prefix: the member is known from context. */
function shortMsg(line: LogLine): string {
  const fromRaft = /^raft[/@]/.test(line.caller ?? '') || line.fields.logger === 'raft';
  if (!fromRaft) return line.msg;
  return line.msg.replace(/^raft\.node: /, '').replace(new RegExp(`^${HEX_ID} (?=\\S)`), '');
}

/** One short readable line, e.g. `INFO  elected leader 8211f1d0f64f3269 at term 2`. */
export function formatLogLine(line: LogLine): string {
  let out = `${line.level.toUpperCase().padEnd(5)} ${shortMsg(line).replace(/\s*\n\s*/g, ' ')}`;
  const keys = Object.keys(line.fields).filter((k) => !HIDDEN_FIELDS.has(k));
  const ordered = [...FIRST_FIELDS.filter((k) => keys.includes(k)), ...keys.filter((k) => !FIRST_FIELDS.includes(k))];
  for (const k of ordered) {
    const part = ` ${k}=${compact(line.fields[k])}`;
    const room = MAX_LINE - out.length;
    if (part.length > room) {
      out += room > 24 ? `${part.slice(0, room - 1)}…` : ' …';
      break;
    }
    out += part;
  }
  return out;
}
