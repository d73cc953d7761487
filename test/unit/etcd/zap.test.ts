import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatLogLine, parseLogLine, raftEvent, type LogLine } from '../../../src/etcd/zap.js';

// Real lines of member "a" (5afcdde8cca80146) of a 3-member etcd 3.4.23 cluster, fast profile, zap logger:
// bootstrap (ed3c88c8dc6e97a5 elected), SIGKILL of that leader, "a" elected, then SIGTERM of the others.
const fixture = readFileSync(fileURLToPath(new URL('../../fixtures/zap-3.4.log', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => l !== '');

function parsed(): LogLine[] {
  return fixture.map((l) => {
    const p = parseLogLine(l);
    assert.ok(p, `not parsed: ${l}`);
    return p;
  });
}

test('every fixture line parses, with level, time, msg, caller and the other keys as fields', () => {
  const lines = parsed();
  assert.ok(lines.length >= 20);
  const first = lines[0]!;
  assert.equal(first.level, 'info');
  assert.equal(first.ts.toISOString(), '2026-11-22T02:59:05.794Z');
  assert.equal(first.msg, 'configuring peer listeners');
  assert.equal(first.caller, 'embed/etcd.go:117');
  assert.deepEqual(first.fields, { 'listen-peer-urls': ['http://127.0.0.1:39402'] });
  assert.ok(lines.some((l) => l.level === 'warn'));
  for (const l of lines) for (const k of ['level', 'ts', 'msg', 'caller']) assert.ok(!(k in l.fields));
});

test('non-zap input gives null', () => {
  for (const bad of [
    '',
    '   ',
    '2026-11-22 02:59:05.794 I | etcdmain: etcd Version: 3.4.23', // capnslog
    '{"level":"info","msg":"no ts"}',
    '{"ts":"2026-11-22T02:59:05.794Z","msg":"no level"}',
    '{"level":"info","ts":"yesterday","msg":"bad ts"}',
    '{"level":"info","ts":"2026-11-22T02:59:05.794Z","msg":"cut',
    '[1,2]',
  ]) {
    assert.equal(parseLogLine(bad), null, bad);
  }
});

test('3.5-style timestamps (offset, microseconds) and zap epoch seconds parse', () => {
  const off = parseLogLine('{"level":"info","ts":"2023-02-17T10:23:16.885+0800","caller":"x.go:1","msg":"m"}');
  assert.equal(off?.ts.toISOString(), '2023-02-17T02:23:16.885Z');
  const micro = parseLogLine('{"level":"INFO","ts":"2024-03-11T09:26:29.316963Z","logger":"raft","msg":"m"}');
  assert.equal(micro?.ts.toISOString(), '2024-03-11T09:26:29.316Z');
  assert.equal(micro?.level, 'info');
  assert.equal(micro?.caller, undefined);
  assert.deepEqual(micro?.fields, { logger: 'raft' });
  const epoch = parseLogLine('{"level":"warn","ts":1700000000.5,"msg":"m"}');
  assert.equal(epoch?.ts.toISOString(), '2023-11-14T22:13:20.500Z');
});

test('raftEvent finds the election story of the fixture, in order', () => {
  const events = parsed()
    .map(raftEvent)
    .filter((e) => e !== null)
    .map((e) => `${e.kind}${e.leaderId ? ` ${e.leaderId}` : ''} @${e.term}`);
  assert.deepEqual(events, [
    'became-follower @0',
    'became-follower @1',
    'became-follower @5',
    'became-follower @8',
    'elected-leader ed3c88c8dc6e97a5 @8',
    'became-candidate @9',
    'lost-leader ed3c88c8dc6e97a5 @9',
    'became-leader 5afcdde8cca80146 @9',
    'elected-leader 5afcdde8cca80146 @9',
    'became-follower @9',
    'lost-leader 5afcdde8cca80146 @9',
    'became-candidate @10',
  ]);
});

test('raftEvent carries the writer, the time and the term', () => {
  const line = parsed().find((l) => l.msg.includes('elected leader 5afcdde8cca80146'))!;
  assert.deepEqual(raftEvent(line), {
    kind: 'elected-leader',
    memberId: '5afcdde8cca80146',
    leaderId: '5afcdde8cca80146',
    term: 9,
    at: new Date('2026-11-22T02:59:10.572Z'),
  });
});

test('raftEvent ignores look-alikes and other raft messages', () => {
  const mk = (msg: string): LogLine => ({ level: 'info', ts: new Date(0), msg, fields: {} });
  assert.equal(raftEvent(mk('5afcdde8cca80146 is starting a new election at term 8')), null);
  assert.equal(raftEvent(mk('5afcdde8cca80146 became leader at term 9 (not really)')), null);
  assert.equal(raftEvent(mk('peer became inactive (message send to peer failed)')), null);
  assert.equal(raftEvent(mk('raft.node: 5afcdde8cca80146 elected leader  at term 2')), null);
  assert.deepEqual(raftEvent(mk('8211f1d0f64f3269 became pre-candidate at term 3')), {
    kind: 'became-pre-candidate',
    memberId: '8211f1d0f64f3269',
    term: 3,
    at: new Date(0),
  });
});

test('formatLogLine: level padded to 5, raft self-ID prefix dropped', () => {
  const lines = parsed();
  const byMsg = (s: string): LogLine => lines.find((l) => l.msg.includes(s))!;
  assert.equal(formatLogLine(byMsg('elected leader ed3c88c8dc6e97a5')), 'INFO  elected leader ed3c88c8dc6e97a5 at term 8');
  assert.equal(formatLogLine(byMsg('became candidate at term 9')), 'INFO  became candidate at term 9');
  assert.equal(formatLogLine(byMsg('simple token')), 'WARN  simple token is not cryptographically signed');
  assert.equal(formatLogLine(byMsg('starting local member')), 'INFO  starting local member cluster-id=7ba8f4b9d72e87e6');
});

test('formatLogLine: error first, values with spaces quoted, local-member-id hidden', () => {
  const line = parsed().find((l) => l.msg === 'lost TCP streaming connection with remote peer')!;
  assert.equal(
    formatLogLine(line),
    'WARN  lost TCP streaming connection with remote peer error="unexpected EOF" remote-peer-id=ed3c88c8dc6e97a5 stream-reader-type="stream Message"',
  );
});

test('formatLogLine: non-raft messages keep a leading hex word', () => {
  const l: LogLine = { level: 'info', ts: new Date(0), msg: 'abc removed', caller: 'etcdserver/server.go:1', fields: {} };
  assert.equal(formatLogLine(l), 'INFO  abc removed');
});

test('formatLogLine: always one line of bounded length', () => {
  for (const l of parsed()) {
    const s = formatLogLine(l);
    assert.ok(!s.includes('\n'));
    assert.ok(s.length <= 200 + l.msg.length, s);
  }
  const long = parsed().find((l) => l.msg === 'starting an etcd server')!;
  const s = formatLogLine(long);
  assert.ok(s.startsWith('INFO  starting an etcd server etcd-version=3.4.23'), s);
  assert.ok(s.endsWith('…'));
  assert.ok(s.length <= 200);
  const multi: LogLine = { level: 'error', ts: new Date(0), msg: 'panic\nhere', fields: { error: 'a\nb', n: 3, o: { x: 1 }, l: [1, 'a b'] } };
  assert.equal(formatLogLine(multi), 'ERROR panic here error="a b" n=3 o={"x":1} l=[1,"a b"]');
});
