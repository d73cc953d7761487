import { createServer } from 'node:net';
import getPort, { portNumbers } from 'get-port';
import { LabError } from '../errors.js';
import { planPorts } from '../plan/plan.js';
import type { ClusterPlan, MemberPorts } from '../plan/types.js';

// Below Linux's ephemeral range (32768+), so outgoing connections do not take the ports between plan and start.
const AUTO_FROM = 20000;
const AUTO_TO = 32767;

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Free ports for `n` members (and their proxies in chaos mode), checked to lie in the range asked for. */
export async function allocatePorts(n: number, chaos: boolean, host = '127.0.0.1', exclude: Iterable<number> = []): Promise<MemberPorts[]> {
  const taken: number[] = [...exclude];
  const one = async (): Promise<number> => {
    const p = await getPort({ port: portNumbers(AUTO_FROM, AUTO_TO), host, exclude: taken });
    // get-port falls back to any free port when the range is exhausted.
    if (p < AUTO_FROM || p > AUTO_TO) {
      throw new LabError('PORT_IN_USE', `no free port left in ${AUTO_FROM}..${AUTO_TO} on ${host}`, { hint: 'use --ports <base> with a free range' });
    }
    taken.push(p);
    return p;
  };
  const out: MemberPorts[] = [];
  for (let i = 0; i < n; i++) {
    const client = await one();
    const peer = await one();
    out.push({ client, peer, ...(chaos ? { proxy: await one() } : {}) });
  }
  return out;
}

/** Whether nothing listens on `port` at `host` right now (a bind test: another process may take it later). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return canBind(port, host);
}

/** Refuses the plan, naming member and port, when something already listens on one of its ports. */
export async function checkPortsFree(plan: ClusterPlan, skip: ReadonlySet<string> = new Set()): Promise<void> {
  const busy: string[] = [];
  for (const p of planPorts(plan)) {
    if (skip.has(p.member)) continue;
    const host = p.role === 'proxy' ? '127.0.0.1' : plan.host;
    if (!(await canBind(p.port, host))) busy.push(`${p.member} ${p.role} port ${p.port}`);
  }
  if (busy.length > 0) {
    throw new LabError('PORT_IN_USE', `already in use on ${plan.host}: ${busy.join(', ')}`, {
      hint: `stop what listens there (ss -ltnp 'sport = :${busy[0]!.split(' ').pop()}'), or choose other ports: --ports auto or --ports <base>`,
    });
  }
}
