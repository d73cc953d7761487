// Procfile text: render from a template, and parse it back the way goreman/foreman read it.
import { LabError } from '../errors.js';
import { shellJoin, shellQuote, splitCommand } from './quote.js';

/** What foreman and honcho accept as a process name (goreman accepts more). */
export const PROCFILE_NAME = /^[A-Za-z0-9_-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_HINT = "names may use letters, digits, '_' and '-' only";

export interface ProcfileEntryInput {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

export interface ProcfileEntry {
  name: string;
  command: string;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Fills a Procfile template. A template line that is just `{{header}}` becomes the header lines as `# ` comments
 * (nothing when the header is empty); a line that is just `{{entries}}` becomes one `name: [VAR=value ...] command`
 * line per entry.
 */
export function renderProcfile(
  template: string,
  input: { header: string[]; entries: ProcfileEntryInput[] },
): string {
  const entryLines = renderEntries(input.entries);
  const headerLines = input.header
    .flatMap((h) => h.split(/\r?\n/))
    .map((h) => (h.trim() === '' ? '#' : `# ${h.trimEnd()}`));

  let sawEntries = false;
  const out: string[] = [];
  for (const line of template.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n')) {
    const placeholder = /^\s*\{\{(\w+)\}\}\s*$/.exec(line)?.[1];
    if (placeholder === 'header') out.push(...headerLines);
    else if (placeholder === 'entries') {
      out.push(...entryLines);
      sawEntries = true;
    } else if (line.includes('{{')) {
      throw new LabError('INTERNAL', `Procfile template line ${JSON.stringify(line)} has an unknown placeholder`, {
        hint: 'placeholders are {{header}} and {{entries}}, each alone on its line',
      });
    } else out.push(line);
  }
  if (!sawEntries) {
    throw new LabError('INTERNAL', 'the Procfile template has no {{entries}} line', {
      hint: 'add a line that is just {{entries}} where the process lines go',
    });
  }
  return `${out.join('\n')}\n`;
}

function renderEntries(entries: ProcfileEntryInput[]): string[] {
  const seen = new Set<string>();
  return entries.map(({ name, argv, env = {} }) => {
    if (!PROCFILE_NAME.test(name)) {
      throw new LabError('BAD_NAME', `${JSON.stringify(name)} cannot be a Procfile process name`, { hint: NAME_HINT });
    }
    if (seen.has(name)) {
      throw new LabError('BAD_NAME', `two Procfile entries are named ${JSON.stringify(name)}`, {
        hint: 'give every member its own name',
      });
    }
    seen.add(name);
    if (argv.length === 0) {
      throw new LabError('INTERNAL', `Procfile entry ${name} has no command`);
    }
    const assignments = Object.entries(env).map(([key, value]) => {
      if (!ENV_NAME.test(key)) {
        throw new LabError('BAD_CONFIG', `${name}: ${JSON.stringify(key)} is not a valid environment variable name`, {
          hint: "use letters, digits and '_', not starting with a digit",
        });
      }
      refuseLineBreak(name, value);
      return `${key}=${shellQuote(value)}`;
    });
    argv.forEach((arg) => refuseLineBreak(name, arg));
    return `${name}: ${[...assignments, shellJoin(argv)].join(' ')}`;
  });
}

function refuseLineBreak(name: string, text: string): void {
  if (/[\r\n]/.test(text)) {
    throw new LabError('BAD_CONFIG', `${name}: ${JSON.stringify(text)} contains a line break, which a Procfile line cannot hold`, {
      hint: 'remove the line break from the argument or environment value',
    });
  }
}

/**
 * Reads Procfile text like goreman does: the name is everything before the first ':', the command is the rest,
 * trimmed. Blank lines and lines starting with '#' are skipped. Stricter than goreman: bad lines are errors.
 */
export function parseProcfile(text: string, file = 'Procfile'): ProcfileEntry[] {
  const entries: ProcfileEntry[] = [];
  const firstLine = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fail = (what: string, hint: string): never => {
      throw new LabError('BAD_PROCFILE', `${file}:${line}: ${what}`, { hint });
    };
    const colon = trimmed.indexOf(':');
    if (colon < 0) {
      fail(`expected "name: command", found no ':' in ${JSON.stringify(trimmed)}`,
        "write each process as `name: command`; comment lines start with '#'");
    }
    const name = trimmed.slice(0, colon).trim();
    const command = trimmed.slice(colon + 1).trim();
    if (!PROCFILE_NAME.test(name)) {
      fail(`invalid process name ${JSON.stringify(name)}`, `${NAME_HINT}; the name is everything before the first ':'`);
    }
    const first = firstLine.get(name);
    if (first !== undefined) {
      fail(`duplicate process name ${JSON.stringify(name)} (first on line ${first})`, 'give every process its own name');
    }
    if (command === '') fail(`process ${JSON.stringify(name)} has no command`, "write the command after the ':'");
    firstLine.set(name, line);
    entries.push({ name, command, line });
  });
  if (entries.length === 0) {
    throw new LabError('BAD_PROCFILE', `${file}: no processes found`, {
      hint: 'add lines like `etcd1: etcd --name etcd1 ...` (etcd-lab can write a Procfile for you)',
    });
  }
  return entries;
}

/** Splits an entry's command into its env assignments and argv; errors name the file and line. */
export function procfileCommand(entry: ProcfileEntry, file = 'Procfile'): { env: Record<string, string>; argv: string[] } {
  try {
    return splitCommand(entry.command);
  } catch (e) {
    if (e instanceof LabError) {
      throw new LabError(e.code, `${file}:${entry.line}: ${entry.name}: ${e.message}`, { hint: e.hint, cause: e });
    }
    throw e;
  }
}
