// The Prometheus text parser on real /metrics excerpts from etcd 3.4, 3.5 and 3.6 (test/fixtures/metrics), and
// on the corners of the format etcd does not happen to print (escapes, NaN, timestamps, broken lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePromText, parsePromValue, pickMetrics, SAMPLED_METRICS } from '../../../src/etcd/metrics.js';

const fixture = (v: string): string => readFileSync(new URL(`../../fixtures/metrics/etcd-${v}.prom`, import.meta.url), 'utf8');
const VERSIONS = { '3.4': '3.4.23', '3.5': '3.5.30', '3.6': '3.6.14' } as const;

for (const [short, full] of Object.entries(VERSIONS)) {
  test(`etcd ${full}: every line of the excerpt parses, with types, labels and exponent values`, () => {
    const text = fixture(short);
    const p = parsePromText(text);
    assert.deepEqual(p.errors, []);
    const sampleLines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(p.samples.length, sampleLines.length);
    assert.equal(p.types.etcd_disk_wal_fsync_duration_seconds, 'histogram');
    assert.equal(p.types.go_gc_duration_seconds, 'summary');
    assert.equal(p.types.etcd_server_leader_changes_seen_total, 'counter');
    assert.equal(p.help.etcd_server_has_leader, 'Whether or not a leader exists. 1 is existence, 0 is not.');
    const version = p.samples.find((s) => s.name === 'etcd_server_version');
    assert.deepEqual(version, { name: 'etcd_server_version', labels: { server_version: full }, value: 1 });
    const inf = p.samples.find((s) => s.name === 'etcd_disk_wal_fsync_duration_seconds_bucket' && s.labels.le === '+Inf');
    const count = p.samples.find((s) => s.name === 'etcd_disk_wal_fsync_duration_seconds_count');
    assert.ok(inf && count && count.value > 0);
    assert.equal(inf.value, count.value, 'the +Inf bucket holds every observation');
    assert.equal(p.samples.find((s) => s.name === 'etcd_server_quota_backend_bytes')?.value, 2147483648);
    const grpc = p.samples.find((s) => s.name === 'grpc_server_handled_total');
    assert.deepEqual(grpc?.labels, { grpc_code: 'Aborted', grpc_method: 'Alarm', grpc_service: 'etcdserverpb.Maintenance', grpc_type: 'unary' });
    assert.ok(p.samples.some((s) => s.name === 'go_gc_duration_seconds' && s.labels.quantile === '0.5'));
  });

  test(`etcd ${full}: pickMetrics finds every sampled metric`, () => {
    const picked = pickMetrics(fixture(short));
    assert.deepEqual(picked.map((m) => m.name).sort(), [...SAMPLED_METRICS].sort());
    const v = (n: string): number => picked.find((m) => m.name === n)!.value;
    assert.equal(v('etcd_server_has_leader'), 1);
    assert.equal(v('etcd_server_leader_changes_seen_total'), 1);
    assert.equal(v('etcd_server_proposals_failed_total'), 0);
    assert.ok(v('etcd_server_proposals_committed_total') >= 1);
    assert.ok(v('etcd_disk_wal_fsync_duration_seconds_sum') > 0 && v('etcd_disk_wal_fsync_duration_seconds_sum') < 1);
  });
}

test('label values with escaped quote, backslash and newline; commas and spaces around labels', () => {
  const p = parsePromText('m{a="x\\"y",b="c:\\\\dir",c="two\\nlines" , d="}"} 3\nm2{a="1",} 4\n');
  assert.deepEqual(p.errors, []);
  assert.deepEqual(p.samples[0]!.labels, { a: 'x"y', b: 'c:\\dir', c: 'two\nlines', d: '}' });
  assert.equal(p.samples[0]!.value, 3);
  assert.deepEqual(p.samples[1]!.labels, { a: '1' });
});

test('NaN, +Inf, -Inf, exponents and timestamps', () => {
  const p = parsePromText('a NaN\nb +Inf\nc -Inf\nd 1.5e-3\ne 7 1700000000000\nf{le="+Inf"} 2\n');
  assert.deepEqual(p.errors, []);
  assert.ok(Number.isNaN(p.samples[0]!.value));
  assert.equal(p.samples[1]!.value, Infinity);
  assert.equal(p.samples[2]!.value, -Infinity);
  assert.equal(p.samples[3]!.value, 0.0015);
  assert.equal(p.samples[4]!.timestamp, 1700000000000);
  assert.equal(p.samples[5]!.labels.le, '+Inf');
  assert.equal(parsePromValue('12abc'), null);
});

test('comments, HELP escapes, CRLF and blank lines; broken lines are reported with their number, not thrown', () => {
  const p = parsePromText('# just a comment\r\n# HELP x a \\\\ b\\nc\r\n\r\nx 1\r\n9bad 1\nx{a=1} 2\nx{a="1" 3\nx\nx one\nx 1 2 3\n');
  assert.equal(p.help.x, 'a \\ b\nc');
  assert.deepEqual(p.samples, [{ name: 'x', labels: {}, value: 1 }]);
  assert.deepEqual(
    p.errors.map((e) => e.line),
    [5, 6, 7, 8, 9, 10],
  );
  assert.match(p.errors[1]!.reason, /expected " to open the value of label a/);
  assert.match(p.errors[4]!.reason, /"one" is not a number/);
});

test('keep filters by name before parsing the rest of the line', () => {
  const p = parsePromText('a{broken 1\nb 2\n', { keep: (n) => n === 'b' });
  assert.deepEqual(p.errors, []);
  assert.deepEqual(p.samples, [{ name: 'b', labels: {}, value: 2 }]);
  assert.deepEqual(pickMetrics('etcd_server_has_leader{x="1"} 1\netcd_server_has_leader 0\n'), [{ name: 'etcd_server_has_leader', value: 0 }]);
});

test('pickMetrics agrees with the full parse on every excerpt, and skips names inside comments or longer names', () => {
  for (const v of Object.keys(VERSIONS)) {
    const text = fixture(v);
    const full = parsePromText(text).samples.filter((s) => SAMPLED_METRICS.includes(s.name) && Object.keys(s.labels).length === 0);
    assert.deepEqual(pickMetrics(text), SAMPLED_METRICS.map((n) => ({ name: n, value: full.find((s) => s.name === n)!.value })));
  }
  const text = '# HELP a_total a_total 5\na_total_x 7\nb 1\r\na_total{l="1"} 8\na_total 9\r\n';
  assert.deepEqual(pickMetrics(text, ['a_total', 'b', 'c']), [{ name: 'a_total', value: 9 }, { name: 'b', value: 1 }]);
});
