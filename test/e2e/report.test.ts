// The run report from a REAL short run: a 3-member cluster, the metrics sampler for ~3 s while three clients put
// and get keys (each call recorded as an Operation by hand), the leader killed and restarted as the fault. Then:
// the samples, `etcd-lab report DIR`, and the page opened in headless Chromium (numbers and screenshot).
// REPORT_EXAMPLE_PNG=<file> also keeps the screenshot, and the run as <file>.run.json (how docs/report-example.png is made).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCluster, type LabCluster } from '../../src/index.js';
import type { RegisterInput, RegisterOperation, RegisterOutput } from '../../src/check/history.js';
import { startMetricsSampler } from '../../src/chaos/metrics-sampler.js';
import { RemoteLab } from '../../src/chaos/remote-lab.js';
import { EtcdRequestError } from '../../src/etcd/client.js';
import { renderReportHtml } from '../../src/report/html.js';
import type { CheckVerdict, LeaderSample, ReportFault, RunReport } from '../../src/report/types.js';
import { readState } from '../../src/supervisor/state-dir.js';
import { hasChromium, runChromium, CHROMIUM } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { colourStats, decodePng } from '../helpers/png.js';
import { claimPorts } from '../helpers/ports.js';
import { killMentioning, waitNoProcesses } from '../helpers/procs.js';
import { aimed } from '../helpers/settled.js';

const RUN_MS = 3000;
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'etcd-lab-report-e2e-')));
let cluster: LabCluster | undefined;
let clusterDir = '';
let report: RunReport;
/** When the killed member was started again (on the run's clock): it answers /metrics from some time after. */
let restartedAt = 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function realRun(): Promise<RunReport> {
  cluster = await startCluster({ nodes: 3, ports: await claimPorts(), chaos: false });
  clusterDir = cluster.dir;
  const lab = await RemoteLab.connect(cluster.dir);
  try {
    await cluster.waitForLeader();
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const now = (): number => performance.now() - t0;
    const sampler = startMetricsSampler(lab, { everyMs: 250, t0 });
    const ops: RegisterOperation[] = [];
    let nextId = 1;
    let running = true;

    // The leader as etcd-lab's status sees it, recorded when it changes.
    const leaders: LeaderSample[] = [];
    const observe = (async () => {
      while (running) {
        const s = await lab.status().catch(() => null);
        if (s) {
          const terms = s.members.map((m) => Number(m.raftTerm ?? NaN)).filter((t) => !Number.isNaN(t));
          const sample = { t: now(), leader: s.leader, term: s.leader && terms.length ? Math.max(...terms) : null };
          const last = leaders[leaders.length - 1];
          if (!last || last.leader !== sample.leader || last.term !== sample.term) leaders.push(sample);
        }
        await sleep(100);
      }
    })();

    // One sequential client per member; each real call becomes an Operation in the history format.
    const client = async (name: string, member: string): Promise<void> => {
      const etcd = lab.etcdClient(member, 500);
      const key = `k-${name}`;
      let n = 0;
      try {
        while (now() < RUN_MS) {
          for (const input of [{ f: 'put', key, value: String(++n) }, { f: 'get', key }] as RegisterInput[]) {
            const op: RegisterOperation = { id: nextId++, client: name, member, input, invoke: now(), outcome: 'unknown' };
            try {
              let output: RegisterOutput;
              if (input.f === 'put') {
                op.revision = (await etcd.put(input.key, input.value)).revision;
                output = { f: 'put' };
              } else {
                const r = await etcd.get(input.key);
                op.revision = r.revision;
                output = { f: 'get', value: r.value };
              }
              Object.assign(op, { return: now(), outcome: 'ok', output });
            } catch (e) {
              const err = e as EtcdRequestError;
              op.error = err.message;
              // A read has no effect, and a refused connection never carried the write: both certainly failed.
              if (input.f === 'get' || err.kind === 'refused') Object.assign(op, { return: now(), outcome: 'fail' });
              await sleep(20);
            }
            ops.push(op);
          }
        }
      } finally {
        etcd.close();
      }
    };
    const clients = Promise.all(['m1', 'm2', 'm3'].map((m, i) => client(`c${i + 1}`, m)));

    await sleep(1000);
    const kill = await aimed(() => lab.kill('leader'));
    const fault: ReportFault = { n: 1, kind: 'kill', members: kill.members, t: now(), ms: 0, text: `kill ${kill.members.join(',')} (SIGKILL on the leader), restarted after ~1 s` };
    await sleep(1000);
    restartedAt = now();
    await lab.restart(kill.members[0]!);
    fault.ms = now() - fault.t;
    await clients;
    const durationMs = now();
    running = false;
    await observe;
    const metrics = await sampler.stop();

    // A real check for the verdicts table: each client's key holds its last acknowledged put (or a later unknown one).
    await cluster.waitForLeader();
    const reader = lab.etcdClient(cluster.members[0]!.name, 3000);
    const verdicts: CheckVerdict[] = [];
    try {
      let bad = 0;
      for (const c of ['c1', 'c2', 'c3']) {
        const puts = ops.filter((o) => o.client === c && o.input.f === 'put' && o.outcome !== 'fail');
        const lastOk = puts.map((o) => o.outcome).lastIndexOf('ok');
        const allowed = puts.slice(Math.max(lastOk, 0)).map((o) => (o.input as { value: string }).value);
        const value = (await reader.get(`k-${c}`)).value;
        if (!(allowed.includes(value ?? '') || (lastOk < 0 && value === null))) bad++;
      }
      verdicts.push({ name: 'writes: last acknowledged present', verdict: bad === 0 ? 'passed' : 'failed', detail: `3 keys read back after the run; ${bad} did not hold their last acknowledged (or a later unknown) write` });
    } finally {
      reader.close();
    }
    return {
      meta: { command: 'node --test test/e2e/report.test.ts', etcdVersion: readState(cluster.dir)?.etcdVersion ?? 'unknown', members: [...lab.memberNames], startedAt, durationMs },
      faults: [fault],
      leaders,
      operations: ops,
      metrics,
      verdicts,
      violations: [],
    };
  } finally {
    lab.close();
  }
}

before(async () => {
  report = await realRun();
  writeFileSync(join(tmp, 'run.json'), JSON.stringify(report));
  writeFileSync(join(tmp, 'report.html'), renderReportHtml(report));
  if (process.env.REPORT_EXAMPLE_PNG) writeFileSync(`${process.env.REPORT_EXAMPLE_PNG}.run.json`, JSON.stringify(report));
}, { timeout: 90_000 });

after(async () => {
  await cluster?.stop();
  if (clusterDir) killMentioning(clusterDir);
  rmSync(tmp, { recursive: true, force: true });
});

test('the sampler got every metric from every member, and the killed member has a gap', () => {
  const killed = report.faults[0]!;
  for (const member of report.meta.members) {
    for (const name of ['etcd_server_leader_changes_seen_total', 'etcd_server_proposals_committed_total', 'etcd_server_proposals_failed_total', 'etcd_disk_wal_fsync_duration_seconds_sum', 'etcd_disk_wal_fsync_duration_seconds_count', 'etcd_server_has_leader']) {
      const n = report.metrics.filter((m) => m.member === member && m.name === name).length;
      assert.ok(n >= 4, `${member} ${name}: ${n} samples`);
    }
  }
  const victim = killed.members[0]!;
  // Dead from the kill (a scrape already in flight may still land, and a busy test process reads it late) until the restart began; it may answer /metrics
  // before the restart call returns (that waits for its peer port), so the fault's end is not the bound.
  const down = report.metrics.filter((m) => m.member === victim && m.t > killed.t + 400 && m.t < restartedAt);
  assert.ok(restartedAt - killed.t > 800, `the member was down ${restartedAt - killed.t} ms`);
  assert.deepEqual(down, [], `${victim} was down from ${killed.t} until the restart at ${restartedAt}`);
  const committed = report.metrics.filter((m) => m.name === 'etcd_server_proposals_committed_total' && m.member !== victim);
  assert.ok(committed[committed.length - 1]!.value > committed[0]!.value, 'the puts were committed');
  const changes = report.metrics.filter((m) => m.name === 'etcd_server_leader_changes_seen_total' && m.member !== victim);
  assert.ok(changes[changes.length - 1]!.value > changes[0]!.value, 'the survivors saw the new leader');
  assert.deepEqual([...report.metrics].sort((a, b) => a.t - b.t), report.metrics, 'in time order');
  assert.ok(report.operations.filter((o) => o.outcome === 'ok').length > 20);
  assert.equal(report.verdicts[0]!.verdict, 'passed', report.verdicts[0]!.detail);
});

test('etcd-lab report DIR re-renders the same page from run.json; a bad run.json is refused naming the field', { timeout: 180_000 }, async () => {
  rmSync(join(tmp, 'report.html'));
  const r = await runCli(['report', tmp, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { report: string; operations: number; byOutcome: Record<string, number> };
  assert.equal(out.report, join(tmp, 'report.html'));
  assert.equal(out.operations, report.operations.length);
  assert.equal(readFileSync(out.report, 'utf8'), renderReportHtml(report));

  const bad = join(tmp, 'bad');
  const cases: [string | null, RegExp][] = [
    [null, /error: no run\.json in .*bad\nhint: `etcd-lab chaos --report DIR` writes DIR\/run\.json/],
    ['{"meta": ', /error: .*bad\/run\.json is not valid JSON/],
    [JSON.stringify({ ...report, operations: [{ ...report.operations[0], invoke: 'soon' }] }), /error: .*bad\/run\.json is not a run report: operations\[0\]\.invoke must be a number, got "soon"/],
  ];
  for (const [text, re] of cases) {
    rmSync(bad, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(bad);
    if (text !== null) writeFileSync(join(bad, 'run.json'), text);
    const e = await runCli(['report', bad]);
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, re);
  }
  const help = await runCli(['report', '--help']);
  assert.match(help.stdout, /\$ etcd-lab report run-7 /);
});

test('the page in headless Chromium shows the run’s numbers, and its screenshot is not blank', { timeout: 240_000, skip: hasChromium() ? false : `${CHROMIUM} is not installed (Debian package chromium)` }, async () => {
  const page = join(tmp, 'report.html');
  writeFileSync(page, renderReportHtml(report));
  const dom = await runChromium(['--dump-dom', `file://${page}`]);
  assert.equal(dom.code, 0, dom.stderr.slice(-2000));
  const stat = (key: string): number => {
    const m = new RegExp(`data-stat="${key}" data-value="([^"]*)"`).exec(dom.stdout);
    assert.ok(m, `no ${key} in the DOM`);
    return Number(m[1]);
  };
  const count = (o: string): number => report.operations.filter((x) => x.outcome === o).length;
  assert.equal(stat('ops-total'), report.operations.length);
  assert.equal(stat('ops-ok'), count('ok'));
  assert.equal(stat('ops-fail'), count('fail'));
  assert.equal(stat('ops-unknown'), count('unknown'));
  assert.equal(stat('faults'), 1);
  assert.equal(stat('metric-samples'), report.metrics.length);
  assert.equal(stat('duration-ms'), Math.round(report.meta.durationMs));
  assert.match(dom.stdout, /<tr data-check="writes: last acknowledged present" data-verdict="passed">/);
  assert.equal(dom.stdout.includes('id="violations"'), false);

  const png = join(tmp, 'shot.png');
  const shot = await runChromium([`--screenshot=${png}`, '--window-size=1400,1800', `file://${page}`]);
  assert.equal(shot.code, 0, shot.stderr.slice(-2000));
  const img = decodePng(readFileSync(png));
  assert.deepEqual([img.width, img.height], [1400, 1800]);
  const c = colourStats(img);
  assert.ok(c.distinct > 100, `distinct colours: ${c.distinct}`);
  assert.ok(c.notBackground > img.width * img.height * 0.2, `pixels off the background: ${c.notBackground}`);
  assert.ok(c.count(0x2f9e44, 30) > 200, 'green ok points are drawn');
  assert.ok(c.count(0xffe3e3, 6) > 2000, 'the fault window is shaded');
  if (process.env.REPORT_EXAMPLE_PNG) copyFileSync(png, process.env.REPORT_EXAMPLE_PNG);
  // runChromium failed the test if chromium had left a process behind; nothing mentions the page's folder either.
  assert.deepEqual(await waitNoProcesses(tmp, 5000), []);
});

test('no etcd is left running', async () => {
  await cluster?.stop();
  assert.deepEqual(await waitNoProcesses(clusterDir, 10_000), []);
});
