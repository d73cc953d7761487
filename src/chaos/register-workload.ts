// The register workload of a chaos run: concurrent sequential clients doing get, put and compare-and-set on a
// few keys, spread over every member and a "cluster" client, every operation recorded (HistoryRecorder). Each
// put writes a value no other put writes ("c3-17"), so a read names the write it saw. Now and then a client
// also puts two keys of their own in one txn, so the watchers see a multi-key revision (watch: atomic); those
// txns are not register operations and are counted, not recorded in the history.
import { CLUSTER, RegisterClient } from './register-client.js';
import type { HistoryRecorder } from './history-recorder.js';
import type { EtcdClient } from '../etcd/client.js';
import type { Lab } from './lab.js';
import { seededRandom } from './targets.js';

export interface WorkloadOptions {
  /** Every key of the workload starts with this (registers: `<prefix>k<i>`, txn pairs: `<prefix>txn/...`). */
  prefix: string;
  /** Concurrent clients. Default 8. */
  clients?: number;
  /** Register keys. Default 3. */
  keys?: number;
  /** Operations per second, all clients together (each client paces itself). Default 40. */
  rate?: number;
  /** Client timeout of one operation. Default 1000 ms. */
  timeoutMs?: number;
  seed: number;
}

export const WORKLOAD_DEFAULTS = { clients: 8, keys: 3, rate: 40, timeoutMs: 1000 } as const;

/** Share of operations that are the two-key txn (not a register operation). */
const TXN_SHARE = 0.05;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

export class RegisterWorkload {
  /** Two-key txns put (acknowledged or not). */
  txns = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly clients: EtcdClient[] = [];
  private readonly o: Required<WorkloadOptions>;

  constructor(
    private readonly lab: Lab,
    private readonly recorder: HistoryRecorder,
    o: WorkloadOptions,
  ) {
    this.o = { ...WORKLOAD_DEFAULTS, ...o };
  }

  /** Which member (or "cluster") each client talks to: round robin over the members and "cluster". */
  static targets(members: readonly string[], clients: number): string[] {
    const places = [...members, CLUSTER];
    return Array.from({ length: clients }, (_, i) => places[i % places.length]!);
  }

  keyNames(): string[] {
    return Array.from({ length: this.o.keys }, (_, i) => `${this.o.prefix}k${i}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const perMember = new Map(this.lab.memberNames.map((m) => [m, this.client(m)]));
    const everyMember = [...perMember.values()];
    RegisterWorkload.targets(this.lab.memberNames, this.o.clients).forEach((place, i) => {
      const name = `c${i + 1}`;
      const rc = new RegisterClient(name, place, place === CLUSTER ? everyMember : [perMember.get(place)!], this.recorder);
      this.loops.push(this.loop(rc, seededRandom(this.o.seed * 1000 + i)));
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    for (const c of this.clients) c.close();
    this.clients.length = 0;
  }

  private client(member: string): EtcdClient {
    const c = this.lab.etcdClient(member, this.o.timeoutMs);
    this.clients.push(c);
    return c;
  }

  private async loop(rc: RegisterClient, rand: () => number): Promise<void> {
    const keys = this.keyNames();
    const interval = (1000 * this.o.clients) / this.o.rate;
    /** The last value this client saw per key: what its cas expects. */
    const known = new Map<string, string | null>();
    let n = 0;
    await sleep(rand() * interval); // spread the clients' first operations
    while (this.running) {
      const t0 = performance.now();
      const key = keys[Math.floor(rand() * keys.length)]!;
      const r = rand();
      if (r < TXN_SHARE) {
        this.txns++;
        const v = `${rc.name}-${++n}`;
        await rc.txnPair(`${this.o.prefix}txn/${rc.name}/a`, `${this.o.prefix}txn/${rc.name}/b`, v);
      } else if (r < 0.45) {
        const op = await rc.get(key);
        if (op.outcome === 'ok' && op.output?.f === 'get') known.set(key, op.output.value);
      } else if (r < 0.75) {
        const v = `${rc.name}-${++n}`;
        const op = await rc.put(key, v);
        if (op.outcome === 'ok') known.set(key, v);
      } else {
        const v = `${rc.name}-${++n}`;
        const op = await rc.cas(key, known.get(key) ?? null, v);
        if (op.outcome === 'ok' && op.output?.f === 'cas' && op.output.succeeded) known.set(key, v);
      }
      await sleep(interval - (performance.now() - t0));
    }
  }
}
