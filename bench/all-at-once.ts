// The baseline: the same plan's members spawned at once with no supervisor, as goreman or any Procfile runner does.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { preparePlan } from '../src/prepare.js';
import { resolveSettings } from '../src/plan/settings.js';
import type { ClusterPlan, Profile } from '../src/plan/types.js';
import { memberEnv } from '../src/etcd/member-env.js';

export interface PlanRequest {
  nodes: number;
  profile: Profile;
  /** State dir (absolute). */
  dir: string;
  portBase: number;
  extraArgs?: string[];
}

export async function planFor(req: PlanRequest): Promise<{ plan: ClusterPlan; etcdPath: string }> {
  const settings = resolveSettings({
    nodes: req.nodes,
    profile: req.profile,
    dir: req.dir,
    ports: { kind: 'base', base: req.portBase },
    ...(req.extraArgs ? { extraArgs: req.extraArgs } : {}),
  });
  const { plan, etcd } = await preparePlan(settings, { needBinary: true });
  if (!etcd) throw new Error('no etcd binary');
  return { plan, etcdPath: etcd.path };
}

export interface Spawned {
  children: ChildProcess[];
  /** SIGKILLs every member's process group and waits (bounded) for them to exit. */
  kill(): Promise<void>;
}

export function spawnAll(plan: ClusterPlan, etcdPath: string): Spawned {
  const logs = join(plan.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const children = plan.members.map((m) => {
    mkdirSync(resolve(m.dataDir), { recursive: true, mode: 0o700 });
    const fd = openSync(join(logs, `${m.name}.log`), 'a');
    const child = spawn(etcdPath, m.args, {
      cwd: plan.dir,
      env: memberEnv(process.env, m.env),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.on('error', () => undefined);
    return child;
  });
  return {
    children,
    kill: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((done) => {
              if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return done();
              const t = setTimeout(done, 5000);
              c.once('exit', () => {
                clearTimeout(t);
                done();
              });
              try {
                process.kill(-c.pid, 'SIGKILL');
              } catch {
                clearTimeout(t);
                done();
              }
            }),
        ),
      );
    },
  };
}
