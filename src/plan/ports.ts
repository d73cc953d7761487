import { LabError } from '../errors.js';
import type { MemberPorts, PortLayout } from './types.js';

const MAX_PORT = 65535;

/** etcd's documented local layout: member 1 = 2379/12380, member k = k*10000+2379 / k*10000+2380. */
export function etcdLayout(n: number, chaos: boolean): MemberPorts[] {
  const max = Math.floor((MAX_PORT - 2381) / 10000);
  if (n > max) {
    throw new LabError('BAD_PORT', `--ports etcd fits at most ${max} members (member ${max + 1} would need port ${(max + 1) * 10000 + 2379})`, {
      hint: '--ports auto or --ports <base> for larger clusters',
    });
  }
  return Array.from({ length: n }, (_, i) => {
    const k = i + 1;
    const client = k === 1 ? 2379 : k * 10000 + 2379;
    return { client, peer: k * 10000 + 2380, ...(chaos ? { proxy: k * 10000 + 2381 } : {}) };
  });
}

/** Consecutive ports from `base`: client/peer pairs first, then one proxy port per member in chaos mode. */
export function baseLayout(n: number, base: number, chaos: boolean): MemberPorts[] {
  const needed = n * (chaos ? 3 : 2);
  if (!Number.isInteger(base) || base < 1024 || base + needed - 1 > MAX_PORT) {
    throw new LabError('BAD_PORT', `--ports ${base}: ${n} members need ports ${base}..${base + needed - 1}, which must lie within 1024..${MAX_PORT}`, {
      hint: 'pick a base such as 20000, or --ports auto',
    });
  }
  return Array.from({ length: n }, (_, i) => ({
    client: base + 2 * i,
    peer: base + 2 * i + 1,
    ...(chaos ? { proxy: base + 2 * n + i } : {}),
  }));
}

/** Ports each member gets. `auto` must be resolved to `explicit` by I/O code first. */
export function layoutPorts(layout: PortLayout, n: number, chaos: boolean): MemberPorts[] {
  let ports: MemberPorts[];
  switch (layout.kind) {
    case 'etcd':
      ports = etcdLayout(n, chaos);
      break;
    case 'base':
      ports = baseLayout(n, layout.base, chaos);
      break;
    case 'explicit':
      if (layout.ports.length !== n) {
        throw new LabError('BAD_PORT', `${layout.ports.length} port sets given for ${n} members`);
      }
      ports = layout.ports;
      break;
    case 'auto':
      throw new LabError('INTERNAL', 'port layout "auto" must be resolved before planning');
  }
  checkDistinct(ports);
  return ports;
}

function checkDistinct(ports: MemberPorts[]): void {
  const seen = new Map<number, string>();
  ports.forEach((p, i) => {
    for (const [role, port] of [['client', p.client], ['peer', p.peer], ['proxy', p.proxy]] as const) {
      if (port === undefined) continue;
      if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) {
        throw new LabError('BAD_PORT', `member ${i + 1} ${role} port ${port} is not a valid port`);
      }
      const prev = seen.get(port);
      if (prev) throw new LabError('BAD_PORT', `port ${port} is used twice: ${prev} and member ${i + 1} ${role}`);
      seen.set(port, `member ${i + 1} ${role}`);
    }
  });
}

/** Parses `--ports etcd|auto|<base>`. */
export function parsePortsOption(text: string, where = '--ports'): PortLayout {
  const t = text.trim();
  if (t === 'etcd') return { kind: 'etcd' };
  if (t === 'auto') return { kind: 'auto' };
  if (/^\d+$/.test(t)) return { kind: 'base', base: Number(t) };
  throw new LabError('BAD_PORT', `${where} must be "etcd", "auto" or a base port number, got "${text}"`, {
    hint: '--ports etcd (2379, 22379, 32379...), --ports auto (free ports), or --ports 20000',
  });
}
