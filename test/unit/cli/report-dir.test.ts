import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReportDir, writeReportDir, type ReportFiles } from '../../../src/cli/report-dir.js';
import { historyJsonl, parseHistoryJsonl, parseWatchJsonl, watchJsonl } from '../../../src/check/run-files.js';
import type { RegisterOperation } from '../../../src/check/history.js';
import type { WatchLogEntry } from '../../../src/check/watch.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-lab-report-dir-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const files: ReportFiles = { 'history.jsonl': '', 'watch.jsonl': '', 'run.json': '{"meta":{"command":"etcd-lab chaos"}}\n', 'report.html': '<html></html>' };

describe('report folder', () => {
  test('writes the four files into a new folder, and again over its own report', () => {
    const dir = join(tmp, 'new', 'run-1');
    writeReportDir(dir, files);
    assert.deepEqual(readdirSync(dir).sort(), ['history.jsonl', 'report.html', 'run.json', 'watch.jsonl']);
    writeReportDir(dir, { ...files, 'report.html': '<html>2</html>' });
    assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), '<html>2</html>');
    assert.deepEqual(readdirSync(dir).sort(), ['history.jsonl', 'report.html', 'run.json', 'watch.jsonl'], 'no temp file left');
  });

  test('refuses a folder with anything else in it, a file, and a run.json that is not a report', () => {
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    assert.throws(() => checkReportDir(foreign), /--report .*foreign is not empty and not an etcd-lab report folder \(it holds notes\.txt\)/);
    assert.throws(() => writeReportDir(foreign, files), /not an etcd-lab report folder/);
    assert.deepEqual(readdirSync(foreign), ['notes.txt'], 'nothing written');
    assert.throws(() => checkReportDir(join(foreign, 'notes.txt')), /is a file, not a folder/);
    const fake = join(tmp, 'fake');
    mkdirSync(fake);
    writeFileSync(join(fake, 'run.json'), '{"something":"else"}');
    assert.throws(() => checkReportDir(fake), /not an etcd-lab report folder/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    checkReportDir(empty);
  });
});

describe('line files', () => {
  test('history.jsonl and watch.jsonl read back what was written, the final history apart', () => {
    const ops: RegisterOperation[] = [{ id: 0, client: 'c1', member: 'm1', input: { f: 'put', key: 'k', value: 'c1-1' }, invoke: 1, return: 2, outcome: 'ok', output: { f: 'put' }, revision: '5' }];
    const log: WatchLogEntry[] = [{ watcher: 'w-m1', member: 'm1', t: 0, kind: 'open', startRevision: 5 }, { watcher: 'w-m1', member: 'm1', t: 3, kind: 'response', revision: 5, events: [{ type: 'put', key: 'k', value: 'c1-1', revision: 5 }] }];
    const text = historyJsonl(ops);
    assert.equal(text.split('\n').length, 2);
    assert.deepEqual(parseHistoryJsonl(text), ops);
    const w = parseWatchJsonl(watchJsonl(log, { events: [{ type: 'put', key: 'k', value: 'c1-1', revision: 5 }], startRevision: 5, endRevision: 5, t: 9 }));
    assert.deepEqual(w.log, log);
    assert.deepEqual(w.final, [{ type: 'put', key: 'k', value: 'c1-1', revision: 5 }]);
    assert.equal(parseWatchJsonl(watchJsonl(log, null)).final, null);
    assert.throws(() => parseHistoryJsonl('{"id":0}\nnot json\n'), /history\.jsonl line 2 is not JSON/);
  });
});
