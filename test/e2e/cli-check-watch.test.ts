// `etcd-lab check DIR` on a report folder: the history's linearizability and watch.jsonl's five watch checks.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { historyJsonl, watchJsonl } from '../../src/check/run-files.js';
import type { WatchedEvent, WatchLogEntry } from '../../src/check/watch.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-check-watch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const ev = (key: string, value: string, revision: number): WatchedEvent => ({ type: 'put', key, value, revision });
const final = [ev('k', 'c1-1', 5), ev('t/a', 'c2-1', 6), ev('t/b', 'c2-1', 6), ev('k', 'c1-2', 7)];

function folder(name: string, watcherEvents: WatchedEvent[][]): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const ops = [
    { id: 0, client: 'c1', member: 'm1', input: { f: 'put' as const, key: 'k', value: 'c1-1' }, invoke: 1, return: 2, outcome: 'ok' as const, output: { f: 'put' as const } },
    { id: 1, client: 'c1', member: 'm1', input: { f: 'put' as const, key: 'k', value: 'c1-2' }, invoke: 3, return: 4, outcome: 'ok' as const, output: { f: 'put' as const } },
  ];
  const log: WatchLogEntry[] = [{ watcher: 'w-m1', member: 'm1', t: 0, kind: 'open', startRevision: 5 }];
  watcherEvents.forEach((events, i) => log.push({ watcher: 'w-m1', member: 'm1', t: i + 1, kind: 'response', revision: events[0]!.revision, events }));
  writeFileSync(join(dir, 'history.jsonl'), historyJsonl(ops));
  writeFileSync(join(dir, 'watch.jsonl'), watchJsonl(log, { events: final, startRevision: 5, endRevision: 7, t: 9 }));
  return dir;
}

test('check DIR: a clean watch log passes every watch check (exit 0); a gap is a reliable violation in words (exit 1)', async () => {
  const good = folder('good', [[final[0]!], [final[1]!, final[2]!], [final[3]!]]);
  let r = await runCli(['check', good]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /history\.jsonl: linearizable/);
  for (const c of ['ordered', 'unique', 'atomic', 'reliable', 'resumable']) assert.match(r.stdout, new RegExp(`watch\\.jsonl: watch ${c} passed`));

  const gap = folder('gap', [[final[0]!], [final[3]!]]);
  r = await runCli(['check', gap]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /watch reliable FAILED/);
  assert.match(r.stdout, /reliable: w-m1: missed put t\/a="c2-1" @6, put t\/b="c2-1" @6 \(it started at revision 5 and reached 7\)/);

  r = await runCli(['check', gap, '--json']);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; watch?: { name: string; verdict: string }[]; violations?: unknown[] });
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]!.watch!.find((c) => c.name === 'reliable')!.verdict, 'failed');
  assert.equal(lines[1]!.violations!.length, 1);
});

test('check DIR settles timed-out writes with the final key history: one applied, one never; a read of the one that never happened is caught', async () => {
  const dir = join(tmp, 'settle');
  mkdirSync(dir);
  const ops = [
    { id: 0, client: 'c1', member: 'm1', input: { f: 'put' as const, key: 'k', value: 'c1-1' }, invoke: 1, outcome: 'unknown' as const, error: 'timed out' },
    { id: 1, client: 'c2', member: 'm2', input: { f: 'put' as const, key: 'k', value: 'c2-1' }, invoke: 2, outcome: 'unknown' as const, error: 'timed out' },
    { id: 2, client: 'c3', member: 'm3', input: { f: 'get' as const, key: 'k' }, invoke: 20, return: 21, outcome: 'ok' as const, output: { f: 'get' as const, value: 'c1-1' } },
  ];
  const events = [ev('k', 'c1-1', 5)];
  const log: WatchLogEntry[] = [{ watcher: 'w-m1', member: 'm1', t: 0, kind: 'open', startRevision: 5 }, { watcher: 'w-m1', member: 'm1', t: 10, kind: 'response', revision: 5, events }];
  writeFileSync(join(dir, 'history.jsonl'), historyJsonl(ops));
  writeFileSync(join(dir, 'watch.jsonl'), watchJsonl(log, { events, startRevision: 5, endRevision: 5, t: 30 }));
  let r = await runCli(['check', dir, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const first = JSON.parse(r.stdout.split('\n')[0]!) as { verdict: string; operations: number; settled: unknown };
  assert.deepEqual([first.verdict, first.operations, first.settled], ['linearizable', 2, { applied: 1, notApplied: 1, left: 0 }]);

  // The same folder, but the read saw c2's value, whose write the final history says never happened.
  writeFileSync(join(dir, 'history.jsonl'), historyJsonl([ops[0]!, ops[1]!, { ...ops[2]!, output: { f: 'get' as const, value: 'c2-1' } }]));
  r = await runCli(['check', dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /history\.jsonl: NOT linearizable \(2 operations, 1 partition, [\d.]+ ms; 2 timed-out writes settled by the final key history \(1 applied, 1 never\)\)/);
});
