// `start -f`'s staggered start (docs/etcd-facts.md#bootstrap-stall): what an etcd entry's command line and data dir
// say about its start (for plan/start-order.ts staggerAnchor), and the wait for the anchor before the others start.
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { etcdWalDir, newClusterKey, type StaggerEntry } from '../plan/start-order.js';
import { splitCommand } from '../plan/quote.js';
import type { ManagedProcess } from './process.js';
import { pastBootstrapCheck } from '../etcd/log-lines.js';
import { PEER_POLL_GRACE_MS, POLL_MS } from './readiness.js';

/** The longest the other members wait for the anchor. */
export const STAGGER_CAP_MS = 2000;
const CONNECT_TIMEOUT_MS = 200;

/** Why the other members started: the anchor's log line, its peer port, its exit, or the cap. */
export type AnchorSign = 'past-check' | 'peer-port' | 'exited' | 'cap';

/** A command's StaggerEntry (null for no etcd member); relative WAL dirs are read from `cwd`. Reads the disk. */
export function staggerEntryOf(command: string, peerURL: string | null, cwd: string): StaggerEntry | null {
  let argv: string[];
  try {
    argv = splitCommand(command).argv;
  } catch {
    return null;
  }
  const key = newClusterKey(argv);
  return { peerURL, newCluster: key, hasWal: key !== null && hasFiles(resolve(cwd, etcdWalDir(argv))) };
}

/** etcd's test for a WAL (wal.Exist): the dir can be read and holds an entry. */
function hasFiles(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Resolves with the first sign that the others may start: the anchor logs that it is past its bootstrap check, its
 * peer port accepts a connection (polled from PEER_POLL_GRACE_MS on, for a log without that line), it exits, or
 * `capMs` pass. Resolves 'cap' at once when `signal` aborts.
 */
export async function waitAnchor(
  proc: ManagedProcess,
  peerURL: string,
  o: { capMs?: number; signal: AbortSignal },
): Promise<AnchorSign> {
  const local = new AbortController();
  const stop = (): void => local.abort();
  o.signal.addEventListener('abort', stop, { once: true });
  let onLine = (_: string): void => undefined;
  let onExit = (): void => undefined;
  try {
    const line = new Promise<AnchorSign>((res) => {
      onLine = (text) => {
        if (pastBootstrapCheck(text)) res('past-check');
      };
      proc.on('line', onLine);
    });
    const exited = new Promise<AnchorSign>((res) => {
      onExit = () => res('exited');
      proc.once('exit', onExit);
      if (!proc.alive) res('exited');
    });
    const cap = delay(o.capMs ?? STAGGER_CAP_MS, 'cap' as const, { signal: local.signal }).catch(() => 'cap' as const);
    const port = pollPort(peerURL, local.signal);
    return await Promise.race([line, exited, cap, port]);
  } finally {
    proc.off('line', onLine);
    proc.off('exit', onExit);
    o.signal.removeEventListener('abort', stop);
    local.abort();
  }
}

async function pollPort(peerURL: string, signal: AbortSignal): Promise<AnchorSign> {
  const u = new URL(peerURL);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  try {
    await delay(PEER_POLL_GRACE_MS, undefined, { signal });
    for (;;) {
      if (await accepts(host, port)) return 'peer-port';
      await delay(POLL_MS, undefined, { signal });
    }
  } catch {
    return new Promise<never>(() => undefined); // aborted: another sign won
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
