import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { LabError } from '../errors.js';

/** Writes a whole file or nothing: temp file then rename. Refuses to replace an existing file unless `force`. */
export function writeNewFile(path: string, text: string, force: boolean, what: string): void {
  if (!force && existsSync(path)) {
    throw new LabError('FILE_EXISTS', `${path} already exists; etcd-lab does not overwrite it`, {
      hint: `pass --force to replace it, or -o <other file> to write the ${what} elsewhere`,
    });
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof LabError) throw e;
    throw new LabError('USAGE', `cannot write ${path}: ${(e as Error).message}`);
  }
}
