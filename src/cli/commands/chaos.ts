import type { Command } from 'commander';
import { EXIT, LabError } from '../../errors.js';
import type { ChaosReport } from '../../chaos/chaos-run.js';
import type { Lab } from '../../chaos/lab.js';
import type { RegisterOperation } from '../../check/history.js';

interface ChaosFlags {
  duration?: string;
  seed?: string;
  faults?: string;
  nodes?: string;
  json?: boolean;
  dir?: string;
  keep?: boolean;
  ports?: string;
  etcd?: string;
  clients?: string;
  keys?: string;
  rate?: string;
  report?: string;
}

function positiveInt(v: string | undefined, flag: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new LabError('USAGE', `${flag} must be a whole number from 1 to ${max}, got "${v}"`);
  return Number(v);
}

function describeOp(op: RegisterOperation): string {
  const i = op.input;
  const what = i.f === 'get' ? `get ${i.key}` : i.f === 'put' ? `put ${i.key}=${i.value}` : `cas ${i.key} ${i.expect ?? '(absent)'} -> ${i.value}`;
  const out = op.output ? (op.output.f === 'get' ? ` -> ${op.output.value ?? '(absent)'}` : op.output.f === 'cas' ? ` -> ${op.output.succeeded ? 'succeeded' : 'compare failed'}` : ' -> ok') : '';
  const end = op.return !== undefined ? `${op.return.toFixed(1)}` : '?';
  return `#${op.id} ${op.client} via ${op.member ?? '?'} [${op.invoke.toFixed(1)}, ${end}] ms ${what}${out} (${op.outcome}${op.error ? `: ${op.error}` : ''})`;
}

function renderChaosReport(r: ChaosReport, fmt: (ms: number) => string): string {
  const out: string[] = [];
  const verdict = r.interrupted ? 'INTERRUPTED' : r.passed ? 'PASS' : r.verdict === 'unknown' && r.check?.passed ? 'UNDECIDED' : 'FAIL';
  out.push(`chaos: ${verdict} (seed ${r.seed}, ${fmt(r.durationMs)}, ${r.members.length} members; repeat with --seed ${r.seed})`);
  const byKind = new Map<string, number>();
  for (const f of r.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const refused = r.faults.filter((f) => f.error).length;
  out.push(
    `faults: ${r.faults.length}${byKind.size ? ` (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}${refused ? `, ${refused} refused by the lab` : ''}`,
  );
  out.push(`elections: ${r.elections}, longest time without a leader: ${fmt(r.longestWithoutLeaderMs)}`);
  const reasons = Object.entries(r.writes.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([why, n]) => `${why} ${n}`)
    .join(', ');
  out.push(`writes: ${r.writes.acknowledged} acknowledged, ${r.writes.failed} failed or timed out${reasons ? ` (${reasons})` : ''}`);
  if (r.writes.committedUnacknowledged > 0) out.push(`  ${r.writes.committedUnacknowledged} not acknowledged but committed anyway (the client gave up first: allowed)`);
  if (r.check) {
    const c = r.check.converge;
    out.push(
      c.ok
        ? `converged: ${r.members.length} members at revision ${c.revision}, hash ${c.hash}, one leader ${c.leader} (term ${c.term})`
        : `not converged within the limit: ${c.problem}`,
    );
    out.push(`lost writes: ${r.lost}${r.lost > 0 ? ` — e.g. ${r.check.lost.map((l) => `${l.key} (acknowledged by ${l.via}, missing on ${l.missingOn.join(', ')})`).slice(0, 3).join('; ')}` : ''}`);
    if (!r.passed && r.check.problem && r.lost === 0) out.push(`problem: ${r.check.problem}`);
  }
  const w = r.workload;
  out.push(
    `recorded: ${w.operations.ok + w.operations.fail + w.operations.unknown} operations, the writer's puts and ${w.clients} register clients' on ${w.keys} keys (${w.operations.ok} ok, ${w.operations.fail} failed, ${w.operations.unknown} unknown; ${w.opsPerSecond}/s), ${w.txns} two-key txns`,
  );
  out.push(`watchers: ${w.watchEvents} events, ${w.watchReopens} re-opens`);
  for (const v of r.verdicts) out.push(`  ${v.verdict.toUpperCase().padEnd(16)} ${v.name}: ${v.detail}`);
  for (const v of r.violations.slice(0, 10)) {
    out.push(`violation (${v.checker}): ${v.explanation}`);
    for (const op of v.operations.slice(0, 6)) out.push(`    ${describeOp(op)}`);
  }
  if (r.violations.length > 10) out.push(`... and ${r.violations.length - 10} more violations (see --json or --report)`);
  return `${out.join('\n')}\n`;
}

async function chaos(opts: ChaosFlags): Promise<number> {
  const { parseDuration, formatDuration } = await import('../../plan/duration.js');
  const { parseFaultKinds, DEFAULT_FAULT_KINDS, NETWORK_FAULT_KINDS } = await import('../../chaos/schedule.js');
  const { info, warn, printJson } = await import('../output.js');
  const durationMs = Math.round(parseDuration(opts.duration ?? '60s', '--duration'));
  if (durationMs < 1000) throw new LabError('USAGE', `--duration ${opts.duration} is too short for a fault and its repair`, { hint: 'e.g. --duration 15s' });
  let seed: number;
  if (opts.seed !== undefined) {
    if (!/^\d+$/.test(opts.seed) || Number(opts.seed) > 0xffffffff) throw new LabError('USAGE', `--seed must be a whole number below 2^32, got "${opts.seed}"`);
    seed = Number(opts.seed);
  } else seed = Math.floor(Math.random() * 1_000_000);
  let faults = opts.faults !== undefined ? parseFaultKinds(opts.faults) : [...DEFAULT_FAULT_KINDS];
  const needsProxies = faults.some((f) => NETWORK_FAULT_KINDS.includes(f));
  const clients = positiveInt(opts.clients, '--clients', 64);
  const keys = positiveInt(opts.keys, '--keys', 1000);
  const rate = positiveInt(opts.rate, '--rate', 5000);
  const { resolve: resolvePath } = await import('node:path');
  const reportDir = opts.report !== undefined ? resolvePath(opts.report) : null;
  if (reportDir) (await import('../report-dir.js')).checkReportDir(reportDir);

  const abort = new AbortController();
  const { onInterrupt, showLive, startThrowawayCluster } = await import('../throwaway-cluster.js');
  let lab: Lab;
  let where: string;
  let etcdVersion: string | null = null;
  let teardown: (graceMs?: number) => Promise<void>;
  if (opts.dir !== undefined) {
    const { resolve } = await import('node:path');
    const dir = resolve(opts.dir);
    const { checkStateDir, liveSupervisor, readState } = await import('../../supervisor/state-dir.js');
    checkStateDir(dir);
    if (!liveSupervisor(dir)) {
      throw new LabError('NOT_RUNNING', `no etcd-lab supervisor is running for ${dir}`, {
        hint: `start one with \`etcd-lab up --chaos -d --dir ${dir}\`, or drop --dir to run against a throw-away cluster`,
      });
    }
    const state = readState(dir);
    if (state && !state.chaos) {
      const network = faults.filter((f) => NETWORK_FAULT_KINDS.includes(f));
      if (opts.faults !== undefined && network.length > 0) {
        throw new LabError('NO_CHAOS', `the cluster in ${dir} was started without --chaos, so ${network.join(' and ')} cannot be injected`, {
          hint: `use --faults kill,pause,term-leader,replace, or restart it with etcd-lab up --chaos --fresh -d --dir ${dir}`,
        });
      }
      faults = faults.filter((f) => !NETWORK_FAULT_KINDS.includes(f));
      warn(`the cluster in ${dir} runs without --chaos: injecting ${faults.join(' and ')} only`);
    }
    if (opts.nodes !== undefined) warn(`-n is ignored: the cluster in ${dir} is already running`);
    const { RemoteLab } = await import('../../chaos/remote-lab.js');
    const remote = await RemoteLab.connect(dir);
    lab = remote;
    etcdVersion = state?.etcdVersion ?? null;
    where = `the cluster in ${dir}`;
    teardown = async () => remote.close();
  } else {
    const { parseMemberCount } = await import('../../plan/count.js');
    const nodes = opts.nodes !== undefined ? parseMemberCount(opts.nodes) : 5;
    const cluster = await startThrowawayCluster({
      nodes,
      label: 'chaos',
      // Proxies only when a fault needs them: without them a replaced member can join on any machine (in chaos mode
      // its peers' host localhost. must resolve).
      chaos: needsProxies,
      ...(opts.ports !== undefined ? { ports: opts.ports } : {}),
      ...(opts.etcd !== undefined ? { etcd: opts.etcd } : {}),
      ...(opts.keep ? { keep: true } : {}),
    });
    lab = cluster.lab;
    etcdVersion = cluster.etcdVersion;
    where = `${nodes} members (etcd ${cluster.etcdVersion}, fast profile${needsProxies ? ', chaos mode' : ''}) in ${cluster.dir}, ready in ${cluster.ready.elapsedMs} ms`;
    teardown = async (graceMs) => {
      await cluster.close(graceMs);
      if (opts.keep) info(`kept ${cluster.dir} (data and logs)`);
    };
  }
  const offSignals = onInterrupt(abort, () => void teardown(0));
  let report: ChaosReport;
  try {
    info(`chaos for ${formatDuration(durationMs)} with seed ${seed} against ${where}`);
    const { ElectionObserver } = await import('../../chaos/observer.js');
    const { runChaos } = await import('../../chaos/chaos-run.js');
    const obs = new ElectionObserver(lab);
    await showLive(obs);
    await obs.start();
    try {
      report = await runChaos(lab, obs, {
        seed,
        durationMs,
        faults,
        prefix: `etcd-lab-chaos/${seed}-${Date.now().toString(36)}/`,
        signal: abort.signal,
        workload: { ...(clients ? { clients } : {}), ...(keys ? { keys } : {}), ...(rate ? { rate } : {}) },
        sampleMetrics: reportDir !== null,
      });
    } finally {
      await obs.stop();
    }
  } finally {
    await teardown();
    offSignals();
  }
  if (reportDir && report.recorded) {
    const { writeReportDir } = await import('../report-dir.js');
    const { chaosRunReport } = await import('../../chaos/run-report.js');
    const { renderReportHtml } = await import('../../report/html.js');
    const { historyJsonl, watchJsonl } = await import('../../check/run-files.js');
    const rec = report.recorded;
    const run = chaosRunReport(report, { command: ['etcd-lab', ...process.argv.slice(2)].join(' '), etcdVersion: etcdVersion ?? 'unknown' });
    writeReportDir(reportDir, {
      'history.jsonl': historyJsonl(rec.history),
      'watch.jsonl': watchJsonl(rec.watchLog, rec.finalHistory ? { events: rec.finalHistory, startRevision: rec.startRevision, endRevision: rec.endRevision, t: run.meta.durationMs } : null),
      'run.json': `${JSON.stringify(run, null, 1)}\n`,
      'report.html': renderReportHtml(run),
    });
    info(`wrote ${reportDir}: history.jsonl (${rec.history.length} operations), watch.jsonl, run.json, report.html`);
  } else if (reportDir) warn(`nothing written to ${reportDir}: the run was interrupted before the checks`);
  const { recorded: _recorded, metrics: _metrics, ...shown } = report;
  if (opts.json) printJson({ etcdVersion, ...shown });
  else process.stdout.write(renderChaosReport(report, formatDuration));
  if (report.interrupted) return 130;
  if (report.verdict === 'unknown' && report.check?.passed) return EXIT.undecided;
  return report.passed ? EXIT.ok : EXIT.failure;
}

export function registerChaos(program: Command): void {
  program
    .command('chaos')
    .description('seeded random faults while a writer puts sequenced keys through every member; then heal, restart and check no acknowledged write was lost')
    .option('--duration <duration>', 'how long faults are injected', '60s')
    .option('--seed <n>', 'the same seed gives the same fault schedule (default: a random one, printed)')
    .option('--faults <list>', 'comma-separated: kill, pause, partition, delay, drop, ring, term-leader, replace (default: kill,pause,partition,delay)')
    .option('-n, --nodes <count>', 'members of the throw-away cluster (default 5)')
    .option('--dir <dir>', 'run against the cluster an etcd-lab supervisor runs in this dir (up --chaos -d) instead')
    .option('--json', 'print the report as JSON on stdout')
    .option('--keep', 'keep the throw-away cluster\'s temp dir (data and logs) afterwards')
    .option('--ports <layout>', 'ports of the throw-away cluster: auto (free ports) or a base port number', 'auto')
    .option('--etcd <path>', 'etcd binary for the throw-away cluster')
    .option('--clients <n>', 'concurrent register clients, spread over every member and a "cluster" client (default 8)')
    .option('--keys <n>', 'register keys the clients share (default 3)')
    .option('--rate <ops/s>', 'register operations per second, all clients together (default 40)')
    .option('--report <dir>', 'write history.jsonl, watch.jsonl, run.json and report.html to this (new or empty) folder')
    .addHelpText(
      'after',
      `
One fault at a time, each undone before the next (kill, term-leader -> restart, pause -> resume,
partition/delay/drop/ring -> heal), each hitting at most a minority of the members, half of the time including
the leader. drop loses 10-50 % of one member's messages; ring is Jepsen's majorities ring (every member sees a
majority, each a different one); term-leader stops the leader with SIGTERM (etcd hands leadership over first);
replace puts a new member (empty data dir, new ID, same name and ports) in the place of one. The throw-away
cluster runs in chaos mode (proxies on the peer path) only when a network fault (partition, delay, drop, ring)
is asked for. Meanwhile one writer
lane per member puts keys etcd-lab-chaos/<run>/<seq>. At the end: heal, resume, restart every member one
after the other, wait until all agree on one leader, revision and hash, and read every key back from every
member.

Meanwhile --clients register clients (default 8: one per member in turn, and "cluster" clients that fail over
to the next member when one refuses) get, put and compare-and-set --keys keys at --rate operations a second,
and one watcher per member watches them. Every operation (the writer's puts too) is recorded with its
outcome: ok, fail (certainly not applied) or unknown (timed out or cut off: may have been applied). At the
end: the history is checked for linearizability (30 s budget), the watchers' events against a fresh watch of
the whole run (ordered, unique, atomic, reliable, resumable).

Exit codes: 0 every check passed; 1 a write was lost, the cluster did not converge, or a check found a
violation (printed in words); 4 no violation found, but a check could not decide (e.g. the linearizability
checker ran out of its budget); 130 interrupted.

The live timeline (faults, leaders lost and elected) goes to stderr; the report to stdout. --json prints it
as JSON (verdicts and violations included; the history itself only goes to --report).

Examples:
  $ etcd-lab chaos --seed 1                        # 60 s on a throw-away 5-member cluster
  $ etcd-lab chaos --duration 15s --faults kill,partition -n 3
  $ etcd-lab chaos --seed 7 --json > chaos.json
  $ etcd-lab chaos --duration 20s -n 3 --report run-1 && xdg-open run-1/report.html
  $ etcd-lab chaos --clients 12 --keys 5 --rate 80 --faults partition
  $ etcd-lab chaos --faults drop,ring,term-leader --duration 30s
  $ etcd-lab chaos --faults replace,kill -n 3 --duration 20s
  $ etcd-lab up --chaos -d --dir /tmp/lab && etcd-lab chaos --dir /tmp/lab --duration 30s`,
    )
    .action(async (opts: ChaosFlags) => {
      process.exitCode = await chaos(opts);
    });
}
