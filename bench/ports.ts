// Port blocks for bench clusters: 127.0.0.1 only, 24000..31999 — below the ephemeral range (32768+), above the
// test suites' 13000..19999 and the low end of etcd-lab's `--ports auto` (20000+), each port checked free.
import { createServer } from 'node:net';

const FROM = 24000;
const TO = 31999;
export const BLOCK = 40;
const BLOCKS = Math.floor((TO - FROM + 1) / BLOCK);

let cursor = Math.floor(Math.random() * BLOCKS);

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The first port of a block of BLOCK free ports; the next call moves on to another block. */
export async function portBlock(): Promise<number> {
  for (let i = 0; i < BLOCKS; i++) {
    const base = FROM + ((cursor + i) % BLOCKS) * BLOCK;
    const checks = await Promise.all(Array.from({ length: BLOCK }, (_, k) => free(base + k)));
    if (checks.every(Boolean)) {
      cursor = (cursor + i + 1) % BLOCKS;
      return base;
    }
  }
  throw new Error(`no block of ${BLOCK} free ports in ${FROM}..${TO} on 127.0.0.1`);
}
