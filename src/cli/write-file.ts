import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';
import { shellQuote } from '../plan/quote.js';
import { tempPathFor } from '../supervisor/state-dir.js';

/** The usual name of each kind of file, for a hint. */
const FILE_NAMES: Record<string, string> = { Procfile: 'Procfile', config: 'etcd-lab.yaml', report: 'report.html' };

/**
 * Writes a whole file or nothing: temp file then rename. Refuses to replace an existing file unless `force`, and says
 * what is wrong with a path it cannot write (a folder there, no such folder) before writing anything.
 */
export function writeNewFile(path: string, text: string, force: boolean, what: string): void {
  const folder = dirname(resolve(path));
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new LabError('USAGE', `cannot write ${path}: ${folder} is a file, not a folder`, { hint: 'give -o a path inside a folder' });
  }
  if (!existsSync(folder)) {
    throw new LabError('USAGE', `cannot write ${path}: the folder ${folder} does not exist`, { hint: `create it first: mkdir -p ${shellQuote(folder)}` });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    const name = FILE_NAMES[what];
    // An export's -o names a folder, and this is one of the files it writes there.
    const hint = name ? `give a file name, e.g. -o ${shellQuote(join(path, name))}` : `move the folder ${shellQuote(path)} away, or give -o another folder`;
    throw new LabError('USAGE', `cannot write ${path}: it is a folder`, { hint });
  }
  if (!force && existsSync(path)) {
    throw new LabError('FILE_EXISTS', `${path} already exists; etcd-lab does not overwrite it`, {
      hint: `pass --force to replace it, or -o <other file> to write the ${what} elsewhere`,
    });
  }
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof LabError) throw e;
    throw new LabError('USAGE', `cannot write ${path}: ${(e as Error).message}`);
  }
}
