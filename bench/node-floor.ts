// The floor under any start that goes through two Node processes, as `up -d` does: a fresh Node process (as the
// command) that at its first line loads `child_process` and spawns a second one, detached and with an IPC channel
// (as the background supervisor), until that second one runs its first line with `child_process` loaded (the first
// stage needs it to spawn etcd). Milliseconds from the first process's own start, the clock of the start trace.
import { runTimed } from './cli.js';

const CHILD = "require('node:child_process'); process.send(performance.timeOrigin + performance.now(), () => process.disconnect());";
const PARENT = `
const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['-e', ${JSON.stringify(CHILD)}], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
c.once('message', (at) => process.stdout.write(String(at - performance.timeOrigin)));
c.once('exit', () => undefined);
`;

export async function twoNodeStarts(): Promise<number> {
  const r = await runTimed(process.execPath, ['-e', PARENT], { timeoutMs: 10_000 });
  const ms = Number(r.stdout);
  if (r.code !== 0 || !Number.isFinite(ms) || ms <= 0) throw new Error(`the two-Node-starts baseline failed: exit ${r.code}, ${r.stdout} ${r.stderr}`);
  return ms;
}
