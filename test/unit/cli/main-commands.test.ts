import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram, COMMAND_NAMES } from '../../../src/cli/main.js';

const names = (p: Awaited<ReturnType<typeof buildProgram>>): string[] => p.commands.map((c) => c.name());

test('the command table names exactly what each module registers, in help order', async () => {
  assert.deepEqual(names(await buildProgram()), COMMAND_NAMES.flat());
  for (const group of COMMAND_NAMES) {
    for (const name of group) assert.deepEqual(names(await buildProgram(name)), [...group], `etcd-lab ${name}`);
  }
});

test('anything that is not a command name builds the whole program (help, unknown commands, options)', async () => {
  const all = COMMAND_NAMES.flat();
  for (const first of [undefined, 'help', 'stauts', '--help', '-v']) assert.deepEqual(names(await buildProgram(first)), all, String(first));
});

test('a command module that fails to load: exit 1 with the error and a hint on stderr, not a silent exit', async () => {
  const { main } = await import('../../../src/cli/main.js');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['node', 'etcd-lab', 'status'], async () => {
      throw new Error("Cannot find module './commands/status.js'");
    });
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 1);
  const text = written.join('');
  assert.match(text, /internal error: Error: Cannot find module '\.\/commands\/status\.js'/);
  assert.match(text, /hint: this is a bug in etcd-lab/);
});
