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
