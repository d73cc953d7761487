// POSIX sh quoting for Procfile lines, and the reverse for the part of sh syntax Procfiles use.
import { LabError } from '../errors.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Words sh reads as syntax, not as a command name, when they come first. */
const RESERVED = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', 'in',
  'function', 'select', 'time', 'coproc',
]);

/** Quotes one argument for POSIX sh: safe words stay bare, everything else goes in single quotes. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new LabError('USAGE', `argument ${JSON.stringify(arg)} contains a NUL character, which no command line can carry`, {
      hint: 'remove the NUL character from the argument',
    });
  }
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Joins argv into one sh command line that gives back exactly argv. The first word is also quoted when sh
 * would otherwise read it as a variable assignment (`A=b`) or a reserved word (`if`).
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((arg, i) => (i === 0 ? quoteCommandName(arg) : shellQuote(arg))).join(' ');
}

function quoteCommandName(arg: string): string {
  const quoted = shellQuote(arg);
  return quoted === arg && (ASSIGNMENT.test(arg) || RESERVED.has(arg)) ? `'${arg}'` : quoted;
}

interface Word {
  value: string;
  /** Starts with an unquoted `NAME=`, so sh would read it as an assignment when it comes before the command. */
  assignment: boolean;
}

/**
 * Splits a command line into words the way sh would, for the syntax Procfiles use: whitespace, single quotes,
 * double quotes with backslash escapes, backslashes, and `#` comments. Anything that needs a real shell
 * (expansions, pipes, redirections, `;`, `&&`, backticks, `~`, `*`, `?`) is refused with a BAD_PROCFILE error.
 */
export function shellSplit(command: string): string[] {
  return tokenize(command).map((w) => w.value);
}

/**
 * Splits a command line and takes off the leading `NAME=value` assignments, as sh does:
 * `HTTP_PROXY=http://x etcd --name a` -> env { HTTP_PROXY: 'http://x' }, argv ['etcd', '--name', 'a'].
 */
export function splitCommand(command: string): { env: Record<string, string>; argv: string[] } {
  const words = tokenize(command);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && words[i]!.assignment; i++) {
    const value = words[i]!.value;
    const eq = value.indexOf('=');
    env[value.slice(0, eq)] = value.slice(eq + 1);
  }
  const argv = words.slice(i).map((w) => w.value);
  if (argv.length === 0) {
    throw new LabError('BAD_PROCFILE', `no command in ${JSON.stringify(command)}`, {
      hint: 'write the program to run after any VAR=value assignments',
    });
  }
  return { env, argv };
}

const NEEDS_SHELL_HINT =
  'etcd-lab runs Procfile commands without a shell: use plain words and quotes, or put the shell code in a script and run that';

const UNTERMINATED_HINT = "close the quote; inside single quotes write a ' as '\\''";

function tokenize(command: string): Word[] {
  const words: Word[] = [];
  let value: string | null = null;
  // Length of `value` when the first quote or backslash appeared in it (an assignment name must come before).
  let quotedFrom = Infinity;
  let i = 0;

  const refuse = (what: string, at: number): never => {
    throw new LabError('BAD_PROCFILE', `cannot read command at column ${at + 1}: ${what}: ${excerpt(command, at)}`, {
      hint: what.startsWith('unterminated') ? UNTERMINATED_HINT : NEEDS_SHELL_HINT,
    });
  };
  const markQuoted = () => {
    value ??= '';
    quotedFrom = Math.min(quotedFrom, value.length);
  };
  const endWord = () => {
    if (value === null) return;
    const m = ASSIGNMENT.exec(value);
    words.push({ value, assignment: m !== null && m[0].length <= quotedFrom });
    value = null;
    quotedFrom = Infinity;
  };

  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === "'") {
      markQuoted();
      const close = command.indexOf("'", i + 1);
      if (close < 0) refuse('unterminated single quote', i);
      value = (value ?? '') + command.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      markQuoted();
      i = readDoubleQuoted(command, i, (s) => (value = (value ?? '') + s), refuse);
    } else if (c === '\\' && command[i + 1] === '\n') {
      i += 2;
    } else if (c === '\\') {
      markQuoted();
      value = (value ?? '') + (command[i + 1] ?? '\\');
      i += 2;
    } else if (c === '#' && value === null) {
      break;
    } else if (c === '\n') {
      refuse('a line break separates commands', i);
    } else if (';&|<>()'.includes(c)) {
      refuse(`'${c}' needs a shell`, i);
    } else if (c === '`') {
      refuse('command substitution needs a shell', i);
    } else if (c === '$' && dollarExpands(command[i + 1], false)) {
      refuse('variable or command expansion needs a shell', i);
    } else if (c === '*' || c === '?') {
      refuse(`'${c}' is a file name pattern that needs a shell; quote it`, i);
    } else if (c === '~' && value === null) {
      refuse('~ (home directory) needs a shell; write the full path', i);
    } else {
      value = (value ?? '') + c;
      i++;
    }
  }
  endWord();
  return words;
}

/** Reads `"..."` starting at the opening quote; returns the index after the closing quote. */
function readDoubleQuoted(
  command: string,
  open: number,
  append: (s: string) => void,
  refuse: (what: string, at: number) => never,
): number {
  let i = open + 1;
  while (i < command.length) {
    const c = command[i]!;
    if (c === '"') return i + 1;
    if (c === '\\') {
      const next = command[i + 1];
      if (next !== undefined && '$`"\\'.includes(next)) {
        append(next);
        i += 2;
      } else if (next === '\n') {
        i += 2;
      } else {
        append('\\');
        i++;
      }
    } else if (c === '`') {
      refuse('command substitution needs a shell', i);
    } else if (c === '$' && dollarExpands(command[i + 1], true)) {
      refuse('variable or command expansion needs a shell', i);
    } else {
      append(c);
      i++;
    }
  }
  return refuse('unterminated double quote', open);
}

/** Whether sh (or bash, for `$'` and `$"`) would expand a `$` followed by `next`. */
function dollarExpands(next: string | undefined, inDoubleQuotes: boolean): boolean {
  if (next === undefined) return false;
  if (/[A-Za-z0-9_{(@*#?$!-]/.test(next)) return true;
  return !inDoubleQuotes && (next === "'" || next === '"');
}

function excerpt(command: string, at: number): string {
  const start = Math.max(0, at - 20);
  const text = command.slice(start, at + 20);
  return `${start > 0 ? '…' : ''}${text}${at + 20 < command.length ? '…' : ''}`;
}
