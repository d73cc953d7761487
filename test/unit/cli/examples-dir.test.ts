import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { examplesDir } from '../../../src/cli/commands/demo.js';

test('examplesDir is a decoded file path, also when the package sits in a folder with a space', () => {
  assert.equal(examplesDir('file:///tmp/my%20tools/etcd-lab/src/cli/commands/demo.ts'), '/tmp/my tools/etcd-lab/examples/');
});

test("examplesDir finds this package's examples", () => {
  assert.ok(existsSync(join(examplesDir(), 'partition.yaml')), examplesDir());
});
