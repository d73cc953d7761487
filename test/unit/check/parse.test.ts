import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import { checkParsed, detectFormat, parseHistory } from '../../../src/check/parse/index.js';
import { parseJepsenLog } from '../../../src/check/parse/jepsen-log.js';
import { parseEdnKv } from '../../../src/check/parse/edn-kv.js';
import { parseJsonl } from '../../../src/check/parse/jsonl.js';

const J = (lines: string[]): string => lines.map((l) => `INFO  jepsen.util - ${l}`).join('\n');

test('Jepsen log: every event type, tabs or spaces, any process number, other loggers and the nemesis skipped', () => {
  const text = [
    '2014-06-01 INFO  jepsen.core - running test',
    J(['17\t:invoke\t:write\t4', '230 :invoke :read nil', ':nemesis\t:info\t:start\tnil', '17\t:ok\t:write\t4', '230\t:ok\t:read\t4']),
    J(['5\t:invoke\t:cas\t[4 2]', '6\t:invoke\t:cas\t[1 3]', '5\t:ok\t:cas\t[4 2]', '6\t:fail\t:cas\t[1 3]']),
    J(['8\t:invoke\t:read\tnil', '8\t:fail\t:read\t:timed-out', '9\t:invoke\t:write\t7', '9\t:info\t:write\t:timed-out', '10\t:invoke\t:cas\t[2 0]']),
    J(['11\t:invoke\t:read\tnil', '11\t:ok\t:read\tnil']),
    'INFO  jepsen.util - worker 3 starting',
  ].join('\n');
  assert.equal(detectFormat(text), 'jepsen');
  const ops = parseJepsenLog(text, 'x.log');
  const brief = ops.map((o) => [o.client, o.input.f, o.outcome, o.output ?? null, o.invoke, o.return ?? null]);
  assert.deepEqual(brief, [
    ['17', 'write', 'ok', { f: 'write' }, 2, 5],
    ['230', 'read', 'ok', { f: 'read', value: '4' }, 3, 6],
    ['5', 'cas', 'ok', { f: 'cas', ok: true }, 7, 9],
    ['6', 'cas', 'ok', { f: 'cas', ok: false }, 8, 10],
    ['8', 'read', 'fail', null, 11, 12],
    ['9', 'write', 'unknown', null, 13, null],
    ['10', 'cas', 'unknown', null, 15, null],
    ['11', 'read', 'ok', { f: 'read', value: null }, 16, 17],
  ]);
  assert.deepEqual(ops[2]!.input, { f: 'cas', from: '4', to: '2' });
});

test('Jepsen log: a malformed event names the file, the line and what was expected', () => {
  const throwsAt = (lines: string[], line: number, what: RegExp) =>
    assert.throws(() => parseJepsenLog(J(lines), 'h.log'), (e: unknown) => e instanceof LabError && e.code === 'BAD_HISTORY' && e.message.startsWith(`h.log:${line}: expected`) && what.test(e.message));
  throwsAt(['1\t:invoke\t:cas\t5'], 1, /\[from to\]/);
  throwsAt(['1\t:invoke\t:write\t3', '2\t:ok\t:write\t3'], 2, /process 2 invoked earlier/);
  throwsAt(['1\t:invoke\t:write\t3', '1\t:ok\t:read\t3'], 2, /completion of :write/);
  throwsAt(['1\t:invoke\t:inc\t3'], 1, /:read, :write or :cas/);
  throwsAt(['1\t:invoke\t:write\t[1'], 1, /EDN value/);
});

test('EDN key-value: get/put/append, fail dropped, info unknown, nil read as ""', () => {
  const text = [
    '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}',
    '{:process 1, :type :invoke, :f :get, :key "0", :value nil}',
    '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}',
    '{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}',
    '{:process 2, :type :invoke, :f :put, :key 7, :value "a"}',
    '{:process 2, :type :fail, :f :put, :key 7, :value "a"}',
    '{:process 3, :type :invoke, :f :put, :key "7", :value "b \\"q\\""}',
    '{:process 3, :type :info, :f :put, :key "7", :value "b"}',
    '{:process :nemesis, :type :info, :f :start, :value nil}',
    '{:process 4, :type :invoke, :f :get, :key "9", :value nil}',
    '{:process 4, :type :ok, :f :get, :key "9", :value nil}',
  ].join('\n');
  assert.equal(detectFormat(text), 'edn');
  const ops = parseEdnKv(text, 'kv.txt');
  assert.deepEqual(
    ops.map((o) => [o.client, o.input, o.outcome, o.output ?? null]),
    [
      ['0', { f: 'append', key: '0', value: 'x 0 0 y' }, 'ok', { f: 'append' }],
      ['1', { f: 'get', key: '0' }, 'ok', { f: 'get', value: 'x 0 0 y' }],
      ['2', { f: 'put', key: '7', value: 'a' }, 'fail', null],
      ['3', { f: 'put', key: '7', value: 'b "q"' }, 'unknown', null],
      ['4', { f: 'get', key: '9' }, 'ok', { f: 'get', value: '' }],
    ],
  );
  const r = checkParsed({ format: 'edn', ops });
  assert.equal(r.verdict, 'linearizable');
  assert.equal(r.partitions, 3);
  assert.throws(() => parseEdnKv('{:process 1, :type :invoke, :f :get, :key "0" :value nil', 'kv.txt'), /kv\.txt:1: expected an EDN map/);
  assert.throws(() => parseEdnKv('{:process 1, :type :done, :f :get, :key "0"}', 'kv.txt'), /kv\.txt:1: expected :type :invoke, :ok, :fail or :info/);
});

test('jsonl: etcd-lab operations, checked strictly', () => {
  const line = (o: object) => JSON.stringify(o);
  const good = [
    line({ id: 1, client: 'c1', input: { f: 'put', key: 'k', value: 'v' }, invoke: 1, return: 2, outcome: 'ok', output: { f: 'put' } }),
    line({ id: 2, client: 'c2', input: { f: 'cas', key: 'k', expect: null, value: 'w' }, invoke: 1.5, outcome: 'unknown', error: 'timed out' }),
    line({ id: 3, client: 'c3', input: { f: 'get', key: 'k' }, invoke: 3, return: 4, outcome: 'ok', output: { f: 'get', value: 'v' }, revision: '7' }),
  ].join('\n');
  assert.equal(detectFormat(good), 'jsonl');
  const ops = parseJsonl(good, 'history.jsonl');
  assert.equal(ops.length, 3);
  assert.equal(ops[1]!.error, 'timed out');
  assert.equal(checkParsed(parseHistory(good, 'history.jsonl')).verdict, 'linearizable');
  const bad = (text: string, re: RegExp) => assert.throws(() => parseJsonl(text, 'h.jsonl'), re);
  bad(`${good}\n{"id":4`, /h\.jsonl:4: expected a JSON object/);
  bad(line({ id: 1, client: 'c', input: { f: 'get', key: 'k' }, invoke: 1, return: 2, outcome: 'ok' }), /h\.jsonl:1: expected "output" for an ok get \(\{"f":"get","value":"…"\|null\}\)/);
  bad(line({ id: 1, client: 'c', input: { f: 'del', key: 'k' }, invoke: 1, outcome: 'fail' }), /expected "input"/);
  bad(line({ id: 1, client: 'c', input: { f: 'get', key: 'k' }, invoke: 5, return: 2, outcome: 'ok', output: { f: 'get', value: null } }), /not before "invoke"/);
  bad(`${good.split('\n')[0]}\n${good.split('\n')[0]}`, /h\.jsonl:2: expected a unique "id"/);
});

test('a file of no known format says so and how to name it', () => {
  assert.throws(
    () => parseHistory('hello\nworld\n', 'notes.txt'),
    (e: unknown) => e instanceof LabError && /notes\.txt: cannot tell the history format/.test(e.message) && /--format/.test(e.hint ?? ''),
  );
});

test('Jepsen log: a cut-short line, an answer without its value, or an answer to another call is an error, not a verdict', () => {
  const throwsAt = (text: string, line: number, what: RegExp) =>
    assert.throws(() => parseJepsenLog(text, 'h.log'), (e: unknown) => e instanceof LabError && e.code === 'BAD_HISTORY' && e.message.startsWith(`h.log:${line}: expected`) && what.test(e.message));
  // the last line of a truncated log: cut inside the type, or right after the process
  throwsAt(`${J(['1\t:invoke\t:write\t1', '1\t:ok\t:write\t1'])}\nINFO  jepsen.util - 3\t:i`, 3, /cut short/);
  throwsAt(`${J(['1\t:invoke\t:write\t1'])}\nINFO  jepsen.util - 3`, 2, /cut short/);
  // an ok read with no value is not a read of nil
  throwsAt(J(['17\t:invoke\t:read\tnil', '17\t:ok\t:read']), 2, /the value read \(nil or a value\), got 17 :ok :read \(no value\)/);
  throwsAt(J(['1\t:invoke\t:write\t1', '1\t:ok\t:write']), 2, /invoked on line 1 \(1\)/);
  // a completion that names another write or cas than its process invoked
  throwsAt(J(['0\t:invoke\t:write\t1', '0\t:ok\t:write\t2']), 2, /the value of the :write this process invoked on line 1 \(1\)/);
  throwsAt(J(['0\t:invoke\t:cas\t[1 2]', '0\t:fail\t:cas\t[1 3]']), 2, /the value of the :cas this process invoked on line 1 \(\[1 2\]\)/);
  // what stays accepted: an info's :timed-out, a fail read's, a fail without a pair, other messages of the logger
  const ops = parseJepsenLog(
    [J(['0\t:invoke\t:write\t1', '0\t:info\t:write\t:timed-out', '1\t:invoke\t:read\tnil', '1\t:fail\t:read\t:timed-out']), 'INFO  jepsen.util - worker 3 starting'].join('\n'),
    'h.log',
  );
  assert.deepEqual(ops.map((o) => o.outcome), ['unknown', 'fail']);
});

test('EDN key-value: an ok get without :value, or an answer with another :key or :value than its call, is an error', () => {
  const E = (lines: string[]): string => lines.join('\n');
  const throwsAt = (text: string, line: number, what: RegExp) =>
    assert.throws(() => parseEdnKv(text, 'kv.txt'), (e: unknown) => e instanceof LabError && e.message.startsWith(`kv.txt:${line}: expected`) && what.test(e.message));
  const put = ['{:process 0, :type :invoke, :f :put, :key "1", :value "a"}', '{:process 0, :type :ok, :f :put, :key "1", :value "a"}'];
  throwsAt(E([...put, '{:process 0, :type :invoke, :f :get, :key "1", :value nil}', '{:process 0, :type :ok, :f :get, :key "1"}']), 4, /the string read as :value, got .*:value \(no value\)/);
  throwsAt(E(['{:process 0, :type :invoke, :f :put, :key "1", :value "a"}', '{:process 0, :type :ok, :f :put, :key "2", :value "a"}']), 2, /the :key of the :put this process invoked on line 1 \("1"\)/);
  throwsAt(E(['{:process 0, :type :invoke, :f :append, :key "1", :value "x 0 2 y"}', '{:process 0, :type :ok, :f :append, :key "1", :value "x 0 5 y"}']), 2, /invoked on line 1 \("x 0 2 y"\), got \{.*:value "x 0 5 y"\}/);
  // a get that read nil read "" (every key starts empty)
  const ops = parseEdnKv(E([...put, '{:process 0, :type :invoke, :f :get, :key "2", :value nil}', '{:process 0, :type :ok, :f :get, :key "2", :value nil}']), 'kv.txt');
  assert.deepEqual(ops[1]!.output, { f: 'get', value: '' });
});

test('a file with nothing to check is an error: empty, or no operation in the format it is read as', () => {
  const fails = (text: string, format: 'jepsen' | 'edn' | 'jsonl' | undefined, what: RegExp, hint?: RegExp) =>
    assert.throws(
      () => parseHistory(text, 'h.txt', format),
      (e: unknown) => e instanceof LabError && e.code === 'BAD_HISTORY' && what.test(e.message) && (hint === undefined || hint.test(e.hint ?? '')),
    );
  fails('', undefined, /^h\.txt is empty/);
  fails('\n  \n', 'edn', /^h\.txt is empty/);
  // a key-value history forced to be read as a Jepsen log has no jepsen.util line
  fails('{:process 0, :type :invoke, :f :put, :key "1", :value "a"}\n', 'jepsen', /^h\.txt: no Jepsen log events .* no operation to check/, /is it a jepsen history\?/);
  fails('hello\n', 'jepsen', /no Jepsen log events/);
  // only the nemesis
  fails('{:process :nemesis, :type :info, :f :start, :value nil}\n', undefined, /no EDN events of client processes/);
});

test('format detection finds the first event line however long the set-up before it', () => {
  const setup = Array.from({ length: 500 }, (_, i) => `INFO  jepsen.os.debian - installing package ${i}`).join('\n');
  const text = `${setup}\n${J(['0\t:invoke\t:write\t1', '0\t:ok\t:write\t1'])}`;
  assert.equal(detectFormat(text), 'jepsen');
  assert.equal(parseHistory(text, 'long.log').ops.length, 1);
  // Jepsen prints its test map before the events: an EDN map, but not an event
  const withMap = `INFO  jepsen.core - Test options:\n {:concurrency 5,\n  :name "etcd"}\n${J(['0\t:invoke\t:write\t1', '0\t:ok\t:write\t1'])}`;
  assert.equal(detectFormat(withMap), 'jepsen');
});
