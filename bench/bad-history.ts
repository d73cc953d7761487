// A long single-key register history with one stale read: what the shrinker must cut down to the few operations
// that show it. `clients` run concurrently, each operation taking effect at a random instant between its call and
// its answer (so the history is linearizable), until one read late in the history is made to return a value
// overwritten long before.
import type { RegisterOperation } from '../src/check/history.js';
import { seededRandom } from '../src/chaos/targets.js';

export function staleReadHistory(opts: { clients: number; operations: number; seed?: number }): RegisterOperation[] {
  const rand = seededRandom(opts.seed ?? 1);
  const free = new Array<number>(opts.clients).fill(0); // when each client can call again, ms
  const planned: { op: RegisterOperation; at: number }[] = [];
  for (let id = 0; id < opts.operations; id++) {
    const c = free.indexOf(Math.min(...free));
    const invoke = free[c]! + rand() * 2;
    const ret = invoke + 1 + rand() * 20;
    free[c] = ret;
    const r = rand();
    const input: RegisterOperation['input'] = r < 0.5 ? { f: 'get', key: 'k' } : r < 0.8 ? { f: 'put', key: 'k', value: `v${id}` } : { f: 'cas', key: 'k', expect: null, value: `v${id}` };
    planned.push({ op: { id, client: `c${c}`, member: 'm1', input, invoke, return: ret, outcome: 'ok' }, at: invoke + rand() * (ret - invoke) });
  }
  // Apply them in the order they took effect: reads see the value of the moment, a cas expects it 70 % of the time.
  let value: string | null = null;
  for (const { op } of [...planned].sort((a, b) => a.at - b.at)) {
    const i = op.input;
    if (i.f === 'get') op.output = { f: 'get', value };
    else if (i.f === 'put') {
      op.output = { f: 'put' };
      value = i.value;
    } else {
      i.expect = rand() < 0.7 ? value : 'never-written';
      const ok = i.expect === value;
      op.output = { f: 'cas', succeeded: ok };
      if (ok) value = i.value;
    }
  }
  const ops = planned.map((p) => p.op);
  // The stale read: at 90 % of the history, a read returns what a put acknowledged 200 ms earlier wrote.
  const reads = ops.filter((o) => o.input.f === 'get' && o.output?.f === 'get' && o.output.value !== null);
  const victim = reads[Math.floor(reads.length * 0.9)]!;
  const old = ops.filter((o) => o.input.f === 'put' && o.return! < victim.invoke - 200).at(-1)!;
  victim.output = { f: 'get', value: (old.input as { value: string }).value };
  return ops;
}
