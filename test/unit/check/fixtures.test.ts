// Every third-party history in test/fixtures/histories gets the verdict published with it (expected.tsv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkParsed, parseHistory } from '../../../src/check/parse/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/histories/', import.meta.url));
const expected = new Map(
  readFileSync(`${DIR}expected.tsv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t') as [string, string]),
);

test('expected.tsv names every history file, and only those', () => {
  const files = ['jepsen-etcd', 'kv'].flatMap((d) => readdirSync(`${DIR}${d}`).map((f) => `${d}/${f}`));
  assert.deepEqual([...expected.keys()].sort(), files.sort());
  assert.equal(files.filter((f) => f.startsWith('jepsen-etcd/')).length, 52);
});

for (const [file, verdict] of expected) {
  test(`${file}: ${verdict}`, () => {
    const h = parseHistory(readFileSync(`${DIR}${file}`, 'utf8'), file);
    assert.equal(h.format, file.startsWith('kv/') ? 'edn' : 'jepsen');
    const r = checkParsed(h);
    assert.equal(r.verdict, verdict, r.reason);
    if (verdict === 'not-linearizable') {
      assert.ok(r.violation && r.violation.operations.length > 0 && r.violation.operations.length <= r.operations);
      assert.ok(r.violation.explanation.length > 0);
    }
  });
}
