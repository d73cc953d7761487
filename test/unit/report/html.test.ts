// renderReportHtml on plain RunReport values: counts, verdicts, escaping, the violation block, empty runs, big runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisterOperation } from '../../../src/check/history.js';
import { renderReportHtml } from '../../../src/report/html.js';
import type { RunReport } from '../../../src/report/types.js';

function op(id: number, o: Partial<RegisterOperation> = {}): RegisterOperation {
  return { id, client: `c${(id % 2) + 1}`, member: 'm1', input: { f: 'put', key: 'k', value: String(id) }, invoke: id * 10, return: id * 10 + 3, outcome: 'ok', output: { f: 'put' }, ...o };
}

function base(over: Partial<RunReport> = {}): RunReport {
  return {
    meta: { command: 'etcd-lab chaos --seed 3', seed: 3, etcdVersion: '3.5.30', members: ['m1', 'm2', 'm3'], startedAt: '2026-12-05T08:00:00.000Z', durationMs: 5000 },
    faults: [{ n: 1, kind: 'kill', members: ['m1'], t: 1000, ms: 1500, text: 'kill m1 (the leader)' }],
    leaders: [
      { t: 0, leader: 'm1', term: 2 },
      { t: 1000, leader: null, term: null },
      { t: 1200, leader: 'm2', term: 3 },
    ],
    operations: [
      op(1),
      op(2, { outcome: 'fail', output: undefined, error: 'connection refused' }),
      op(3, { outcome: 'unknown', return: undefined, output: undefined, error: 'no answer within 1500 ms' }),
      op(4, { input: { f: 'get', key: 'k' }, output: { f: 'get', value: '1' } }),
    ],
    metrics: [0, 1000, 2000].flatMap((t, i) => [
      { t, member: 'm2', name: 'etcd_server_proposals_committed_total', value: 10 + i * 5 },
      { t, member: 'm2', name: 'etcd_server_leader_changes_seen_total', value: 1 + i },
    ]),
    verdicts: [
      { name: 'linearizability', verdict: 'linearizable', detail: '4 operations on 1 key' },
      { name: 'writes: acknowledged present', verdict: 'failed', detail: '1 acknowledged write missing' },
    ],
    violations: [],
    ...over,
  };
}

/** The data-value of the element with data-stat="key". */
function stat(html: string, key: string): number {
  const m = new RegExp(`data-stat="${key}" data-value="([^"]*)"`).exec(html);
  assert.ok(m, `no data-stat="${key}"`);
  return Number(m[1]);
}

test('the header shows the run and the exact totals by outcome', () => {
  const html = renderReportHtml(base());
  assert.equal(stat(html, 'ops-total'), 4);
  assert.equal(stat(html, 'ops-ok'), 2);
  assert.equal(stat(html, 'ops-fail'), 1);
  assert.equal(stat(html, 'ops-unknown'), 1);
  assert.equal(stat(html, 'faults'), 1);
  assert.equal(stat(html, 'checks-failed'), 1);
  assert.equal(stat(html, 'duration-ms'), 5000);
  assert.equal(stat(html, 'leader-changes'), 1);
  assert.equal(stat(html, 'no-leader-ms'), 200);
  assert.equal(stat(html, 'metric-samples'), 6);
  assert.match(html, /<dd data-meta="command"><code>etcd-lab chaos --seed 3<\/code><\/dd>/);
  assert.match(html, /<dd data-meta="seed">3<\/dd>/);
  assert.match(html, /<dd data-meta="etcd-version">3\.5\.30<\/dd>/);
  assert.match(html, /<dd data-meta="members">3: m1, m2, m3<\/dd>/);
  assert.match(html, /data-stat="result">1 check\(s\) failed</);
});

test('the verdicts table has one row per check with its verdict', () => {
  const html = renderReportHtml(base());
  assert.match(html, /<tr data-check="linearizability" data-verdict="linearizable">.*?4 operations on 1 key/);
  assert.match(html, /<tr data-check="writes: acknowledged present" data-verdict="failed">.*?class="badge bad">failed</);
  const passing = renderReportHtml(base({ verdicts: [{ name: 'linearizability', verdict: 'linearizable', detail: 'd' }] }));
  assert.match(passing, /data-stat="result">all checks passed</);
});

test('text from the run is escaped everywhere: keys, values, member names, fault texts, the command', () => {
  const evil = '<script>alert("x")</script>';
  const html = renderReportHtml(
    base({
      meta: { ...base().meta, command: `etcd-lab chaos ${evil}`, members: ['m1', evil] },
      faults: [{ n: 1, kind: 'kill', members: [evil], t: 10, ms: 0, text: `kill ${evil}` }],
      leaders: [{ t: 0, leader: evil, term: 1 }],
      operations: [op(1, { input: { f: 'put', key: evil, value: `"'&` }, client: evil })],
      verdicts: [{ name: evil, verdict: 'failed', detail: evil }],
      violations: [{ checker: evil, explanation: evil, operations: [op(1, { input: { f: 'put', key: evil, value: `"'&` } }), op(2, { input: { f: 'get', key: evil }, output: { f: 'get', value: evil }, error: evil })] }],
      metrics: [{ t: 0, member: evil, name: 'etcd_server_proposals_committed_total', value: 1 }],
    }),
  );
  assert.equal(html.includes('<script'), false, 'no script element');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(html.includes('put &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;=&quot;&#39;&amp;'));
});

test('the violation block appears only when there is a violation, with its operations and explanation', () => {
  assert.equal(renderReportHtml(base()).includes('id="violations"'), false);
  const ops = [op(7), op(8, { client: 'c9', input: { f: 'get', key: 'k' }, output: { f: 'get', value: 'old' } }), op(9, { outcome: 'unknown', return: undefined, output: undefined })];
  const html = renderReportHtml(base({ violations: [{ checker: 'linearizability', explanation: 'c9 read old after put k=7 returned', operations: ops }] }));
  assert.equal(stat(html, 'violations'), 1);
  assert.match(html, /<p class="explanation">c9 read old after put k=7 returned<\/p>/);
  for (const id of [7, 8, 9]) assert.match(html, new RegExp(`<g class="vop [a-z]+( open)?" data-op="${id}">`), `bar of op ${id}`);
  assert.match(html, /<text[^>]*>get k → old<\/text>/);
  assert.match(html, /<g class="vop unknown open" data-op="9">/);
  assert.match(html, /<tr data-op="8"><td>8<\/td><td>c9<\/td>/);
});

test('an empty run renders: no operations, faults, leaders, metrics, checks, zero duration', () => {
  const html = renderReportHtml({
    meta: { command: 'startCluster()', etcdVersion: '3.4.23', members: [], startedAt: '2026-12-05T08:00:00.000Z', durationMs: 0 },
    faults: [],
    leaders: [],
    operations: [],
    metrics: [],
    verdicts: [],
    violations: [],
  });
  assert.equal(stat(html, 'ops-total'), 0);
  assert.equal(stat(html, 'faults'), 0);
  assert.match(html, /No faults in this run/);
  assert.match(html, /No checker ran on this run/);
  assert.match(html, /No metrics were sampled/);
  assert.match(html, /data-stat="result">not checked</);
  assert.equal(/NaN|Infinity|undefined/.test(html), false, 'no NaN/Infinity/undefined leaks into the page');
  assert.match(html, /<\/html>\n$/);
});

test('the page is self-contained: no script, no external resource', () => {
  const html = renderReportHtml(base());
  assert.equal(/<script|<link|<img|<iframe|@import|url\(/i.test(html), false);
  assert.equal(/(src|href)=/i.test(html), false);
});

test('50,000 operations: exact counts, far fewer marks than operations, the page stays small', () => {
  const ops: RegisterOperation[] = [];
  for (let i = 0; i < 50_000; i++) {
    const outcome = i % 50 === 0 ? 'unknown' : i % 20 === 0 ? 'fail' : 'ok';
    ops.push(op(i, { invoke: i * 1.2, return: outcome === 'unknown' ? undefined : i * 1.2 + 1 + (i % 97) / 10, outcome, output: outcome === 'ok' ? { f: 'put' } : undefined }));
  }
  const html = renderReportHtml(base({ operations: ops, meta: { ...base().meta, durationMs: 60_000 } }));
  assert.equal(stat(html, 'ops-total'), 50_000);
  assert.equal(stat(html, 'ops-unknown'), 1000);
  assert.equal(stat(html, 'ops-fail'), 2000);
  assert.equal(stat(html, 'ops-ok'), 47_000);
  assert.ok(stat(html, 'latency-marks') < 25_000, `marks: ${stat(html, 'latency-marks')}`);
  assert.ok(html.length < 1_500_000, `size: ${html.length}`);
});
