import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkStateDir } from '../supervisor/state-dir.js';
import { loadSettings } from './cluster-options.js';

export function addDirOptions(cmd: Command): Command {
  return cmd
    .option('--dir <dir>', 'state folder of the cluster (default .etcd-lab, or `dir` in etcd-lab.yaml)')
    .option('-c, --config <file>', 'settings file (default ./etcd-lab.yaml when present)');
}

/** The absolute state dir a command acts on: --dir, else the config file's `dir`, else .etcd-lab. Refused when a file. */
export async function stateDirFrom(opts: { dir?: string; config?: string }): Promise<string> {
  const named = opts.dir ?? (await loadSettings({ ...(opts.config !== undefined ? { config: opts.config } : {}) })).spec.dir;
  const dir = resolve(named);
  checkStateDir(dir);
  return dir;
}
