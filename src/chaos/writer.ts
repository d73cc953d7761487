// Puts sequenced keys through every member while faults hit the cluster, and remembers which ones were
// acknowledged. One lane per member, so a member that hangs (paused, in a minority) does not hold up the others;
// the sequence numbers are shared, so every key is written once.
import { EtcdClient, isEtcdRequestError } from '../etcd/client.js';
import type { HistoryRecorder } from './history-recorder.js';
import type { Lab } from './lab.js';

export interface WriteRecord {
  seq: number;
  key: string;
  value: string;
  member: string;
  ms: number;
}

export interface WriterOptions {
  /** Key prefix, e.g. `etcd-lab-chaos/<run>/`; keys are the prefix plus a zero-padded sequence number. */
  prefix: string;
  /** Client timeout of one put. Default 2000 ms. */
  timeoutMs?: number;
  /** Pause between two puts of one lane. Default 10 ms. */
  pauseMs?: number;
  /** Pause after a failed put (a dead member refuses at once). Default 100 ms. */
  backoffMs?: number;
  /** Records every put (client `seq-<member>`) in this history too. */
  recorder?: HistoryRecorder;
}

export const SEQ_DIGITS = 8;

export function writeKey(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** Why a put failed, in a few words. */
export function failureReason(e: unknown): string {
  if (!isEtcdRequestError(e)) return (e as Error)?.message ?? String(e);
  switch (e.kind) {
    case 'timeout':
      return 'timed out';
    case 'refused':
      return 'refused: not running';
    case 'etcd':
      return (e.etcdMessage ?? 'etcd error').replace(/^etcdserver: /, '');
    default:
      return e.kind;
  }
}

export class Writer {
  /** Acknowledged writes by sequence number. */
  readonly acked = new Map<number, WriteRecord>();
  /** Failed or timed-out puts by reason; such a key may or may not have been written. */
  readonly failures = new Map<string, number>();
  private readonly unacked = new Set<number>();
  private next = 0;
  private running = false;
  private lanes: Promise<void>[] = [];
  private readonly clients: EtcdClient[] = [];

  constructor(
    private readonly lab: Lab,
    private readonly opts: WriterOptions,
  ) {}

  get attempted(): number {
    return this.next;
  }

  get failed(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    return n;
  }

  /** Sequence numbers of puts that were not acknowledged. */
  get notAcknowledged(): ReadonlySet<number> {
    return this.unacked;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const member of this.lab.memberNames) {
      const client = this.lab.etcdClient(member, this.opts.timeoutMs ?? 2000);
      this.clients.push(client);
      this.lanes.push(this.lane(member, client));
    }
  }

  /** Stops taking new sequence numbers and waits for the puts in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
    this.lanes = [];
    for (const c of this.clients) c.close();
    this.clients.length = 0;
  }

  private async lane(member: string, client: EtcdClient): Promise<void> {
    const pause = this.opts.pauseMs ?? 10;
    const backoff = this.opts.backoffMs ?? 100;
    while (this.running) {
      const seq = this.next++;
      const key = writeKey(this.opts.prefix, seq);
      const value = `${seq}@${member}`;
      const t0 = performance.now();
      let ok = false;
      const rec = this.opts.recorder;
      try {
        const put = (): Promise<{ revision: string }> => client.put(key, value);
        if (rec) await rec.wrap(`seq-${member}`, member, { f: 'put', key, value }, put, (r) => ({ output: { f: 'put' }, revision: r.revision }));
        else await put();
        ok = true;
        this.acked.set(seq, { seq, key, value, member, ms: Math.round(performance.now() - t0) });
      } catch (e) {
        this.unacked.add(seq);
        const why = failureReason(e);
        this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, ok ? pause : backoff));
    }
  }
}
