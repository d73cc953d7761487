// `etcd-lab check` as a user runs it: verdict lines, --json, report folders, exit codes, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { get, put, recordedHistory } from '../helpers/histories.js';

const FIX = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-check-e2e-')));
const jsonl = (ops: object[]): string => ops.map((o) => JSON.stringify(o)).join('\n') + '\n';

before(() => {
  // a chaos run's report folder whose history has a stale read of k2
  mkdirSync(join(tmp, 'run-stale'));
  writeFileSync(join(tmp, 'run-stale', 'history.jsonl'), jsonl([...recordedHistory(12), get('c7', 'k2', 'k2-1', 500, 502)]));
  mkdirSync(join(tmp, 'run-ok'));
  writeFileSync(join(tmp, 'run-ok', 'history.jsonl'), jsonl([...recordedHistory(12), put('c7', 'k2', 'late', 500)]));
  mkdirSync(join(tmp, 'empty-dir'));
  writeFileSync(join(tmp, 'big.jsonl'), jsonl(recordedHistory(20_000)));
  writeFileSync(join(tmp, 'broken.log'), 'INFO  jepsen.util - 1\t:invoke\t:write\t3\nINFO  jepsen.util - 1\t:invoke\t:cas\t7\n');
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('one verdict line per file; a violation in words; exit 1 when any is not linearizable', async () => {
  const r = await runCli(['check', `${FIX}jepsen-etcd/etcd_002.log`, `${FIX}jepsen-etcd/etcd_028.log`]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /etcd_002\.log: linearizable \(77 operations, 1 partition, [\d.]+ ms\)$/);
  assert.match(lines[1]!, /etcd_028\.log: NOT linearizable \(83 operations, 1 partition, [\d.]+ ms\), \d+ operations show it:$/);
  assert.match(lines[2]!, /^ {2}process \d+'s read returned "\d+" on lines \d+–\d+, but /);
  assert.ok(lines.slice(3).every((l) => /^ {4}\d+: .+ (on lines \d+–\d+|from line \d+ on \(never answered\))$/.test(l)), r.stdout);
});

test('all linearizable: exit 0; --json gives one object a line per file', async () => {
  const r = await runCli(['check', '--json', `${FIX}kv/c10-ok.txt`, `${FIX}jepsen-etcd/etcd_018.log`, join(tmp, 'run-ok')]);
  assert.equal(r.code, 0, r.stderr);
  const objs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    objs.map((o) => [String(o.file).split('/').slice(-2).join('/'), o.format, o.verdict]),
    [
      ['kv/c10-ok.txt', 'edn', 'linearizable'],
      ['jepsen-etcd/etcd_018.log', 'jepsen', 'linearizable'],
      ['run-ok/history.jsonl', 'jsonl', 'linearizable'],
    ],
  );
  assert.equal(objs[0]!.operations, 337);
  assert.equal(objs[0]!.partitions, 10);
  assert.equal(typeof objs[0]!.ms, 'number');
});

test('a report folder means its history.jsonl; the violation names the key and the operations, in JSON too', async () => {
  const r = await runCli(['check', '--json', join(tmp, 'run-stale')]);
  assert.equal(r.code, 1, r.stderr);
  const o = JSON.parse(r.stdout) as { file: string; verdict: string; violation: { key: string; operations: { client: string }[]; explanation: string } };
  assert.equal(o.file, join(tmp, 'run-stale', 'history.jsonl'));
  assert.equal(o.verdict, 'not-linearizable');
  assert.equal(o.violation.key, 'k2');
  assert.equal(o.violation.operations.length, 3);
  assert.match(o.violation.explanation, /^c7's get of k2 returned "k2-1" at 0\.500–0\.502 s, but c2's put of "k2-1" to k2 \(acknowledged at 0\.009 s\) was overwritten by/);
  const text = await runCli(['check', join(tmp, 'run-stale')]);
  assert.match(text.stdout, /history\.jsonl: NOT linearizable \(37 operations, 3 partitions, [\d.]+ ms\), key k2, 3 operations show it:\n {2}c7's get of k2/);
});

test('the budget runs out: verdict unknown, exit 4, never linearizable', async () => {
  const r = await runCli(['check', '--budget', '1ms', join(tmp, 'big.jsonl')]);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /big\.jsonl: unknown \(60000 operations, 3 partitions, [\d.]+ ms\): the time budget of 1 ms ran out with \d of 3 keys checked/);
});

test('unreadable or malformed input: which file, which line, what was expected; exit 2; the other files are still checked', async () => {
  const r = await runCli(['check', join(tmp, 'broken.log'), join(tmp, 'nope.log'), join(tmp, 'empty-dir'), `${FIX}jepsen-etcd/etcd_002.log`]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /broken\.log: error: line 2: expected the cas arguments as \[from to\] \(:cas \[1 2\]\), got 1 :invoke :cas 7/);
  assert.match(r.stdout, /nope\.log: error: no such file or directory/);
  assert.match(r.stdout, /empty-dir: error: .*empty-dir is a directory without a history\.jsonl/);
  assert.match(r.stdout, /etcd_002\.log: linearizable/);
  const forced = await runCli(['check', '--format', 'edn', `${FIX}jepsen-etcd/etcd_002.log`]);
  assert.equal(forced.code, 2);
  assert.match(forced.stdout, /etcd_002\.log: error: line 1: expected an EDN map/);
});

test('usage errors and --help', async () => {
  const bad = await runCli(['check', '--format', 'xml', `${FIX}kv/c01-ok.txt`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format xml is not one of jepsen, edn, jsonl/);
  const budget = await runCli(['check', '--budget', '5', `${FIX}kv/c01-ok.txt`]);
  assert.equal(budget.code, 2);
  assert.match(budget.stderr, /--budget "5" has no unit/);
  const help = await runCli(['check', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n {2}\$ etcd-lab check run-report\//);
  assert.match(help.stdout, /Exit codes: 0 all linearizable, 1 a history is not linearizable, 2 .*4 a verdict is unknown/s);
});
