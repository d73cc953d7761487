// Where etcd-lab keeps what it may rebuild at any time: downloaded releases, and the `etcd --version` answers.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `$XDG_CACHE_HOME/etcd-lab` when that is absolute, else `~/.cache/etcd-lab`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'etcd-lab');
  return join(env.HOME || homedir(), '.cache', 'etcd-lab');
}
