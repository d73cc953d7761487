// One sequential client of register operations (get, put, compare-and-set), every one recorded. It talks to one
// member, or, as the "cluster" client, to every member: a member that refuses the connection (nothing was sent)
// is skipped for the next one, as etcd's own client fails over between endpoints.
import type { RegisterInput, RegisterOperation } from '../check/history.js';
import { isEtcdRequestError, type EtcdClient } from '../etcd/client.js';
import type { Answer, HistoryRecorder } from './history-recorder.js';

export const CLUSTER = 'cluster';

export class RegisterClient {
  private next = 0;

  /**
   * @param member a member name, or "cluster" with one client per member in `clients`
   * @param clients the member's client, or (cluster) every member's client in order
   */
  constructor(
    readonly name: string,
    readonly member: string,
    private readonly clients: readonly EtcdClient[],
    private readonly recorder: HistoryRecorder,
  ) {}

  get(key: string): Promise<RegisterOperation> {
    return this.run({ f: 'get', key }, async (c) => {
      const r = await c.get(key);
      return { output: { f: 'get', value: r.value }, revision: r.revision };
    });
  }

  put(key: string, value: string): Promise<RegisterOperation> {
    return this.run({ f: 'put', key, value }, async (c) => {
      const r = await c.put(key, value);
      return { output: { f: 'put' }, revision: r.revision };
    });
  }

  /** Puts `value` if the key holds `expect` (null: if the key is absent), as one txn. */
  cas(key: string, expect: string | null, value: string): Promise<RegisterOperation> {
    return this.run({ f: 'cas', key, expect, value }, async (c) => {
      const r = await c.txn([expect === null ? { key, createRevision: '0' } : { key, value: expect }], [{ key, value }]);
      return { output: { f: 'cas', succeeded: r.succeeded }, revision: r.revision };
    });
  }

  /**
   * Puts `value` on two keys in one txn (one revision, two watch events). Not a register operation, so not in
   * the history; returns whether etcd acknowledged it.
   */
  async txnPair(a: string, b: string, value: string): Promise<boolean> {
    const c = this.clients[this.next++ % this.clients.length]!;
    try {
      await c.txn([], [{ key: a, value }, { key: b, value }]);
      return true;
    } catch {
      return false;
    }
  }

  private run(input: RegisterInput, call: (c: EtcdClient) => Promise<Answer>): Promise<RegisterOperation> {
    return this.recorder.record(this.name, this.member, input, async () => {
      // The cluster client starts at the next member each time, and moves on only when refused.
      const first = this.next++ % this.clients.length;
      let last: unknown;
      for (let i = 0; i < this.clients.length; i++) {
        try {
          return await call(this.clients[(first + i) % this.clients.length]!);
        } catch (e) {
          last = e;
          if (!(isEtcdRequestError(e) && e.kind === 'refused')) throw e;
        }
      }
      throw last;
    });
  }
}
