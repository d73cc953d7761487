import type { StartProgress } from '../supervisor/cluster.js';

const PHASE_TEXT: Record<StartProgress['phase'], string> = {
  spawned: 'started',
  'peer-up': 'peer port answers',
  healthy: 'healthy',
  failed: 'failed',
};

/** Plain progress lines (no terminal, or --no-progress): one line per member phase, with elapsed time. */
export function plainProgressLine(e: StartProgress, nameWidth: number): string {
  return `${e.member.padEnd(nameWidth)}  ${PHASE_TEXT[e.phase].padEnd(18)} ${String(e.elapsedMs).padStart(6)} ms`;
}

/**
 * Shows start progress. On a terminal: listr2, one task per member that completes when the member is healthy.
 * Otherwise: plain lines. Returns a function to feed events and one to finish.
 */
export async function startProgress(
  members: string[],
  tty: boolean,
): Promise<{ update(e: StartProgress): void; finish(ok: boolean): Promise<void> }> {
  const width = Math.max(...members.map((m) => m.length));
  if (!tty) {
    return {
      update: (e) => process.stderr.write(`${plainProgressLine(e, width)}\n`),
      finish: async () => undefined,
    };
  }
  const { Listr } = await import('listr2');
  type Deferred = { resolve(): void; reject(e: Error): void; title: (t: string) => void };
  const waits = new Map<string, Deferred>();
  const pending = new Map<string, StartProgress[]>();
  const tasks = new Listr(
    members.map((name) => ({
      title: `${name.padEnd(width)}  waiting`,
      task: (_ctx: unknown, task: { title: string }) =>
        new Promise<void>((resolve, reject) => {
          waits.set(name, { resolve, reject, title: (t) => (task.title = t) });
          for (const e of pending.get(name) ?? []) apply(e);
        }),
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false },
      renderer: 'default',
      fallbackRenderer: 'simple',
    },
  );
  function apply(e: StartProgress): void {
    const d = waits.get(e.member);
    if (!d) {
      pending.set(e.member, [...(pending.get(e.member) ?? []), e]);
      return;
    }
    d.title(`${e.member.padEnd(width)}  ${PHASE_TEXT[e.phase]} (${e.elapsedMs} ms)`);
    if (e.phase === 'healthy') d.resolve();
    if (e.phase === 'failed') d.reject(new Error(`${e.member} failed after ${e.elapsedMs} ms`));
  }
  const run = tasks.run().catch(() => undefined);
  return {
    update: apply,
    finish: async (ok) => {
      for (const [name, d] of waits) {
        if (ok) d.resolve();
        else d.reject(new Error(`${name} stopped`));
      }
      await run;
    },
  };
}
