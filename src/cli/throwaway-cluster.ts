// A throw-away cluster for one run of `demo` or `chaos`, in this process, and the Ctrl-C and live-timeline handling
// both commands share.
import type { ElectionObserver } from '../chaos/observer.js';
import type { LocalLab } from '../chaos/local-lab.js';
import type { ReadyFigure } from '../supervisor/ready-figure.js';

export interface ThrowawayCluster {
  /** Fault injection on the cluster. */
  lab: LocalLab;
  dir: string;
  etcdVersion: string;
  /** How long the start took, from the command's start. */
  ready: ReadyFigure;
  /** Stops every member and removes the dir (unless kept). Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/**
 * A cluster for one run, in this process: a fresh temp dir, chaos mode, fast profile, free ports. Every path out
 * of the process kills its members (the exit hook is the last resort).
 */
export async function startThrowawayCluster(o: { nodes: number; ports?: string; etcd?: string; keep?: boolean; label: string; chaos?: boolean }): Promise<ThrowawayCluster> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadSettings } = await import('./cluster-options.js');
  const { launchLab } = await import('../launch-lab.js');
  const { info } = await import('./output.js');
  const dir = mkdtempSync(join(tmpdir(), `etcd-lab-${o.label}-`));
  const remove = (): void => {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  let settings: Awaited<ReturnType<typeof loadSettings>>;
  try {
    settings = await loadSettings(
      { nodes: String(o.nodes), dir, ports: o.ports ?? 'auto', ...(o.chaos === false ? {} : { chaos: true as const }), profile: 'fast', ...(o.etcd ? { etcd: o.etcd } : {}) },
      { defaultConfig: false },
    );
  } catch (e) {
    remove();
    throw e;
  }
  const { commandStartedAt } = await import('./command-start.js');
  const lab = await launchLab({ settings, given: settings.given, restart: 'never', onNote: info, onClose: remove, countFrom: commandStartedAt() });
  return { lab: lab.chaos.lab, dir, etcdVersion: lab.etcdVersion, ready: lab.ready, close: (graceMs = 1000) => lab.close(graceMs) };
}

/**
 * Ctrl-C once: stop what runs (the caller's abort) and tear down; twice: kill every member now.
 * Returns a function that removes the handlers.
 */
export function onInterrupt(abort: AbortController, teardownNow: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      process.stderr.write('\ninterrupted: stopping the run and the cluster (Ctrl-C again to kill it now)\n');
      abort.abort();
    } else teardownNow();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** Prints every timeline entry as it comes, on stderr. */
export async function showLive(obs: ElectionObserver): Promise<void> {
  const { renderEntry } = await import('../chaos/timeline.js');
  const { useColor } = await import('./output.js');
  const color = useColor(process.stderr);
  obs.on('entry', (e) => process.stderr.write(`${renderEntry(e, { color })}\n`));
}

