import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import type { ExportFile } from '../plan/export/types.js';
import { writeNewFile } from './write-file.js';
import { makeFolder } from '../supervisor/state-dir.js';

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
  makeFolder(dir, 'the export folder', 'give -o a folder you can write');
  for (const f of files) writeNewFile(join(dir, f.path), f.text, true, 'export');
  return files.map((f) => f.path);
}

/**
 * writeExport plus the plan's certificates in `<dir>/pki`, made first in a folder beside `dir` by `makePki` and moved
 * in last: a failure anywhere leaves no certificate and no file of the export behind.
 */
export async function writeExportWithPki(
  dir: string,
  files: ExportFile[] | ((pkiDir: string) => ExportFile[]),
  force: boolean,
  makePki: (pkiDir: string) => Promise<unknown>,
): Promise<string[]> {
  const { randomBytes } = await import('node:crypto');
  const { mkdirSync: mkdir, renameSync, rmSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const pki = join(dir, 'pki');
  if (!force && existsSync(pki)) {
    throw new LabError('FILE_EXISTS', `${pki} already exists; etcd-lab does not overwrite certificates`, { hint: 'pass --force to make a new CA and certificates, or -o <other folder>' });
  }
  const tmp = `${resolve(dir)}.pki-${randomBytes(4).toString('hex')}`;
  mkdir(tmp, { recursive: true, mode: 0o700 });
  try {
    await makePki(join(tmp, 'pki'));
    const written = writeExport(dir, typeof files === 'function' ? files(join(tmp, 'pki')) : files, force);
    rmSync(pki, { recursive: true, force: true });
    renameSync(join(tmp, 'pki'), pki);
    return [...written, 'pki/'];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
