// Plugs fault injection into a supervisor (supervisor/extension.ts): the `chaos.*` control operations, the peer
// proxies of a chaos plan, and the LocalLab, loaded while the members start.
import type { Supervisor } from '../supervisor/supervisor.js';
import { labHandlers } from './lab-handlers.js';
import type { LocalLab } from './local-lab.js';
import type { PeerNetwork } from './network.js';

export interface ChaosAttachment {
  /** The lab of the supervisor's cluster; available once `sup.start()` resolved. */
  readonly lab: LocalLab;
  /** Resolves with the lab (loads it when the start has not yet). */
  loadLab(): Promise<LocalLab>;
}

/** Registers fault injection with `sup`; call before `sup.start()`. */
export function attachChaos(sup: Supervisor): ChaosAttachment {
  let network: PeerNetwork | null = null;
  let lab: LocalLab | null = null;
  let loading: Promise<LocalLab> | null = null;
  const loadLab = (): Promise<LocalLab> => {
    loading ??= import('./local-lab.js').then(({ LocalLab }) => (lab = new LocalLab(sup.cluster, network, sup.dir, () => sup.membership())));
    return loading;
  };
  sup.extend({
    handlers: labHandlers(loadLab),
    startNetwork: async (plan) => {
      const { PeerNetwork } = await import('./network.js');
      network = await PeerNetwork.start(plan);
      return network;
    },
    load: loadLab,
  });
  return {
    get lab(): LocalLab {
      if (!lab) throw new Error('the lab is loaded by sup.start(): start the supervisor first');
      return lab;
    },
    loadLab,
  };
}
