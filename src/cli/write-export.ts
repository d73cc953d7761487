import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import type { ExportFile } from '../plan/export/types.js';
import { writeNewFile } from './write-file.js';

/** Writes every file of an export into `dir`, or none: an existing file stops it before anything is written. */
export function writeExport(dir: string, files: ExportFile[], force: boolean): string[] {
  if (!force) {
    const there = files.filter((f) => existsSync(join(dir, f.path)));
    if (there.length > 0) {
      throw new LabError('FILE_EXISTS', `${there.map((f) => join(dir, f.path)).join(', ')} already exist${there.length === 1 ? 's' : ''}; etcd-lab does not overwrite`, {
        hint: 'pass --force to replace them, or -o <other folder>',
      });
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeNewFile(join(dir, f.path), f.text, true, 'export');
  return files.map((f) => f.path);
}
