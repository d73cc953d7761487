import { LabError } from '../errors.js';
import { shellQuote } from '../plan/quote.js';

/** Connects to the live supervisor of `dir`, or throws NOT_RUNNING saying how to start one. */
export async function supervisorFor(dir: string) {
  const { liveSupervisor } = await import('../supervisor/state-dir.js');
  const { connectControl } = await import('../supervisor/control-client.js');
  if (!liveSupervisor(dir)) {
    throw new LabError('NOT_RUNNING', `no etcd-lab supervisor is running for ${dir}`, {
      hint: `start the cluster with \`etcd-lab up -d --dir ${shellQuote(dir)}\``,
    });
  }
  return connectControl(dir);
}
