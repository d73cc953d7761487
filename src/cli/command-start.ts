// When the command the user ran started: what "cluster ready in" counts from. Node's performance.timeOrigin is taken
// as the process starts, on the epoch clock. A command that runs another etcd-lab command for the user
// (`snapshot restore --up` runs `up -d`) passes its own start on, so the figure still counts from what the user typed.
import { performance } from 'node:perf_hooks';

export const COMMAND_START_ENV = 'ETCD_LAB_COMMAND_STARTED_AT';

/** This command's start (epoch ms): the one passed on by a parent etcd-lab command, else this process's own start. */
export function commandStartedAt(env: NodeJS.ProcessEnv = process.env): number {
  const passed = Number(env[COMMAND_START_ENV]);
  const own = performance.timeOrigin;
  // Taken once: the processes this one starts (members, the background supervisor) must not inherit it.
  delete env[COMMAND_START_ENV];
  return Number.isFinite(passed) && passed > 0 && passed <= own ? passed : own;
}

/** The environment for another etcd-lab command run on the user's behalf: it counts from this command's start. */
export function passCommandStart(env: NodeJS.ProcessEnv, startedAt: number): NodeJS.ProcessEnv {
  return { ...env, [COMMAND_START_ENV]: String(startedAt) };
}
