// The one in-process start of a cluster with fault injection: what the library's startCluster() and the CLI's
// throwaway clusters (demo, chaos) share. Prepares the dir, opens a supervisor, attaches chaos, starts and waits
// until ready; on any failure nothing is left running and `onClose` runs.
import type { ChaosAttachment } from './chaos/attach.js';
import type { ResolvedSettings, RestartPolicy, Settings } from './plan/settings.js';
import type { ReadyFigure } from './supervisor/ready-figure.js';
import type { Supervisor } from './supervisor/supervisor.js';

export interface LaunchLabOptions {
  settings: ResolvedSettings;
  /** Which settings were given explicitly (they must agree with a stored cluster). */
  given: ReadonlySet<keyof Settings>;
  restart: RestartPolicy;
  readyTimeoutMs?: number;
  onNote?: (text: string) => void;
  /** After the last stop (or a failed start): removes what the caller made, e.g. its temp dir. */
  onClose?: () => void;
  /** What the ready figure counts from (epoch ms, supervisor/ready-figure.ts): the command, or the library call. */
  countFrom?: number;
}

export interface LaunchedLab {
  sup: Supervisor;
  chaos: ChaosAttachment;
  dir: string;
  etcdVersion: string;
  /** How long the start took, from `countFrom`, and the supervisor's share. */
  ready: ReadyFigure;
  /** Stops every member and the proxies, then runs onClose; idempotent (a call with 0 while stopping kills now). */
  close(graceMs?: number): Promise<void>;
}

export async function launchLab(o: LaunchLabOptions): Promise<LaunchedLab> {
  const [{ prepareUp }, { Supervisor }, { attachChaos }] = await Promise.all([
    import('./supervisor/prepare-up.js'),
    import('./supervisor/supervisor.js'),
    import('./chaos/attach.js'),
  ]);
  let sup: Supervisor | undefined;
  try {
    const prepared = await prepareUp({ settings: o.settings, given: o.given, fresh: false, ...(o.onNote ? { onNote: o.onNote } : {}) });
    sup = await Supervisor.open({
      dir: prepared.dir,
      plan: prepared.plan,
      etcdPath: prepared.etcd.path,
      etcdVersion: prepared.etcd.version.text,
      restart: o.restart,
      ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
      ...(o.countFrom !== undefined ? { countFrom: o.countFrom } : {}),
    });
    const chaos = attachChaos(sup);
    const ready = await sup.start();
    const started = sup;
    let closing: Promise<void> | null = null;
    return {
      sup: started,
      chaos,
      dir: prepared.dir,
      etcdVersion: prepared.etcd.version.text,
      ready,
      close: (graceMs = 3000) => {
        if (closing && graceMs === 0) void started.shutdown(0);
        closing ??= started.shutdown(graceMs).finally(() => o.onClose?.());
        return closing;
      },
    };
  } catch (e) {
    await sup?.shutdown(0).catch(() => undefined);
    o.onClose?.();
    throw e;
  }
}
