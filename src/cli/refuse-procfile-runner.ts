// Commands that need a cluster `etcd-lab up` made (its plan.json: members, URLs, etcd binary) say so plainly on a
// dir that `etcd-lab start` runs: a Procfile runner has a supervisor and a control socket, but no plan.
import { existsSync } from 'node:fs';
import { LabError } from '../errors.js';
import { liveSupervisor, statePaths } from '../supervisor/state-dir.js';

export function refuseProcfileRunner(dir: string, what: string): void {
  if (existsSync(statePaths(dir).plan) || !liveSupervisor(dir)) return;
  throw new LabError('USAGE', `${dir} is run by \`etcd-lab start\` (a Procfile runner): ${what} needs a cluster started with \`etcd-lab up\``, {
    hint: 'on a Procfile runner use status, logs, run start|stop|restart and down; for the rest, start the cluster with etcd-lab up',
  });
}
