// `etcd-lab chaos`: plays a seeded fault schedule while the writer puts sequenced keys through every member,
// then heals, restarts every member and checks that no acknowledged write was lost.
import { formatDuration } from '../plan/duration.js';
import { checkWrites, type CheckReport } from './checker.js';
import type { Lab } from './lab.js';
import type { ElectionObserver, FaultIntent } from './observer.js';
import { describePlannedFault, planSchedule, resolveFaultMembers, type FaultKind, type PlannedFault } from './schedule.js';
import type { TimelineEntry, TimelineSummary } from './timeline.js';
import { Writer } from './writer.js';
import { checkRegisterHistory, DEFAULT_BUDGET_MS } from '../check/linearizability.js';
import { resolveUnknownWrites } from '../check/resolve-writes.js';
import { checkWatches } from '../check/watch.js';
import { linearizabilityVerdicts, overallVerdict, watchVerdicts } from '../check/run-verdicts.js';
import type { CheckVerdict, MetricSample, Violation } from '../report/types.js';
import { startMetricsSampler, type MetricsSampler } from './metrics-sampler.js';
import { WORKLOAD_DEFAULTS } from './register-workload.js';
import { RunRecording, type Recorded, type RecordingOptions } from './run-recording.js';

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  faults: readonly FaultKind[];
  /** Key prefix of this run's writes. */
  prefix: string;
  /** Client timeout of one put. Default 2000 ms. */
  writeTimeoutMs?: number;
  /** How long the cluster may take to converge at the end. Default 30 s. */
  convergeWithinMs?: number;
  /** A note with the write counts this often. Default 5 s; 0 for none. */
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** The register workload (clients, keys, rate, timeout); its keys live under `<prefix>reg/`. */
  workload?: RecordingOptions;
  /** Time the linearizability checker may take before it says unknown. Default 10 s. */
  linearizabilityBudgetMs?: number;
  /** Sample every member's /metrics once a second (for the run report). Default false. */
  sampleMetrics?: boolean;
}

export interface AppliedFault {
  n: number;
  kind: FaultKind;
  /** The members it hit, once the leader was known. */
  members: string[];
  /** When it started (observer time) and how long it lasted until undone. */
  t: number;
  ms: number;
  /** Set when the lab refused it (the run goes on). */
  error?: string;
}

export interface ChaosReport {
  passed: boolean;
  interrupted: boolean;
  seed: number;
  durationMs: number;
  members: readonly string[];
  faultKinds: readonly FaultKind[];
  schedule: PlannedFault[];
  faults: AppliedFault[];
  elections: number;
  longestWithoutLeaderMs: number;
  writes: {
    attempted: number;
    acknowledged: number;
    failed: number;
    /** Failed or timed-out puts by reason. */
    failures: Record<string, number>;
    /** Not acknowledged, but committed anyway (allowed: the client gave up first). */
    committedUnacknowledged: number;
  };
  lost: number;
  check: CheckReport | null;
  summary: TimelineSummary;
  /** Faults, elections and notes (no per-write entries). */
  timeline: TimelineEntry[];
  /** passed: every verdict passed; failed: one found a violation; unknown: none did, but one could not decide. */
  verdict: 'passed' | 'failed' | 'unknown';
  /** Acknowledged writes present, linearizability of the register history, the five watch checks. */
  verdicts: CheckVerdict[];
  violations: Violation[];
  workload: WorkloadSummary;
  /** ms to subtract from observer times (timeline, faults) to get run times (history, watch log, metrics). */
  observerOffsetMs: number;
  /** The history, watch log and final key history (null when interrupted): for --report, not for --json. */
  recorded: Recorded | null;
  metrics: MetricSample[];
}

export interface WorkloadSummary {
  clients: number;
  keys: number;
  /** Register operations by outcome. */
  operations: { ok: number; fail: number; unknown: number };
  opsPerSecond: number;
  /** Two-key txns (watch: atomic). */
  txns: number;
  /** Watch events received, all watchers together; re-opens after a stream ended. */
  watchEvents: number;
  watchReopens: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Shows the fault on the timeline (a leader it cuts off is lost from now on), then has the lab do it. */
async function act(obs: ElectionObserver, intent: FaultIntent, text: string, fn: () => Promise<unknown>): Promise<void> {
  obs.faultStarting(intent);
  const entry = obs.recordFault(text);
  try {
    await fn();
  } catch (e) {
    obs.record({ kind: 'note', text: `${entry.text} failed: ${errorText(e)}` });
    throw e;
  }
}

function injectText(f: PlannedFault, members: string[], rest: string[], leader: string | undefined): string {
  const who = members.map((m) => (m === leader ? `${m} (the leader)` : m)).join(', ');
  const hold = formatDuration(f.holdMs);
  switch (f.kind) {
    case 'partition':
      return `partition ${members.join(',')} | ${rest.join(',')}${leader && members.includes(leader) ? ' (the leader on the minority side)' : ''} for ${hold}`;
    case 'delay':
      return `delay ${who} by ${f.delayMs}${f.jitterMs ? `±${f.jitterMs}` : ''} ms for ${hold}`;
    case 'drop':
      return `drop ${f.dropPct}% of the messages to and from ${who} for ${hold}`;
    case 'ring':
      return `majorities ring ${members.join(' - ')} - ${members[0]} (each sees its ring neighbours only) for ${hold}`;
    case 'term-leader':
      return `SIGTERM ${who}: a graceful stop, etcd hands leadership over first; restart after ${hold}`;
    case 'replace':
      return `replace ${who}: remove it, delete its data dir, add a new member of that name and wait until it caught up`;
    default:
      return `${f.kind} ${who} for ${hold}`;
  }
}

/** How long a SIGTERM's note waits for the observer to see the leader that took over (its polls and log reads lag). */
const TRANSFER_SEEN_WAIT_MS = 2000;

/** After a SIGTERM of the leader: whether a new leader was seen before the old one had exited (a transfer). */
function transferNote(obs: ElectionObserver, f: PlannedFault, old: string, sentAt: number, exitedAt: number): string {
  const next = obs.entries.find((e) => e.kind === 'leader-elected' && e.t >= sentAt && e.member !== old);
  if (next === undefined) return `#${f.n} ${old} exited ${exitedAt - sentAt} ms after SIGTERM; no new leader seen yet`;
  const how = next.t <= exitedAt ? `while ${old} was still stopping (it exited ${exitedAt - sentAt} ms after SIGTERM): a transfer, not an election by timeout` : `after ${old} had exited (${exitedAt - sentAt} ms after SIGTERM)`;
  return `#${f.n} leadership passed from ${old} to ${next.member} (term ${next.term}) ${next.t - sentAt} ms after SIGTERM, ${how}`;
}

async function inject(lab: Lab, obs: ElectionObserver, f: PlannedFault, members: string[]): Promise<void> {
  const leader = obs.leader()?.name;
  const rest = lab.memberNames.filter((m) => !members.includes(m));
  const groups = [members, rest];
  // A SIGTERM does not take the leader away at once (it hands over first), so it is not told as a kill.
  const action = f.kind === 'term-leader' ? 'sigterm' : f.kind;
  let afterwards: string | null = null;
  let handedOver = null as { sentAt: number; exitedAt: number } | null;
  await act(obs, { action, members, ...(f.kind === 'partition' ? { groups } : {}) }, `#${f.n} ${injectText(f, members, rest, leader)}`, async () => {
    switch (f.kind) {
      case 'kill':
        for (const m of members) await lab.kill(m, { signal: 'SIGKILL' });
        break;
      case 'pause':
        for (const m of members) await lab.pause(m);
        break;
      case 'partition':
        await lab.partition(groups);
        break;
      case 'delay':
        for (const m of members) await lab.delay({ member: m }, f.delayMs ?? 100, f.jitterMs ?? 0);
        break;
      case 'drop':
        for (const m of members) await lab.drop({ member: m }, f.dropPct ?? 30);
        break;
      case 'ring':
        await lab.ring(members);
        break;
      case 'term-leader': {
        const sentAt = obs.now();
        const r = await lab.kill(members[0]!, { signal: 'SIGTERM' });
        const exitedAt = Math.max(sentAt, Date.parse(r.at) - (Date.now() - obs.now()));
        if (members[0] === leader) handedOver = { sentAt, exitedAt };
        break;
      }
      case 'replace': {
        const r = await lab.replace(members[0]!);
        afterwards = `#${f.n} ${members[0]} replaced${r.note ? `: ${r.note}` : ''}`;
        break;
      }
    }
  });
  if (handedOver !== null) {
    // The observer hears of the new leader a poll or a log read after etcd elects it: give it that time (outside the
    // fault's own span).
    await obs.waitLeader({ not: members, withinMs: TRANSFER_SEEN_WAIT_MS });
    afterwards = transferNote(obs, f, members[0]!, handedOver.sentAt, handedOver.exitedAt);
  }
  if (afterwards !== null) obs.record({ kind: 'note', text: afterwards });
}

async function undo(lab: Lab, obs: ElectionObserver, f: PlannedFault, members: string[]): Promise<void> {
  if (f.kind === 'replace') {
    // Nothing to take back: the new member is in and caught up. Said so, so every fault has its end on the timeline.
    obs.record({ kind: 'note', text: `#${f.n} replace of ${members.join(', ')} done: nothing to undo` });
    return;
  }
  const action = f.kind === 'kill' || f.kind === 'term-leader' ? 'restart' : f.kind === 'pause' ? 'resume' : 'heal';
  await act(obs, { action, members }, `#${f.n} ${action} ${action === 'heal' ? 'every link' : members.join(', ')}`, async () => {
    if (action === 'restart') for (const m of members) await lab.restart(m);
    else if (action === 'resume') for (const m of members) await lab.resume(m);
    else await lab.heal();
  });
}

/** Brings every member back: links healed, paused ones resumed, down ones started, then every one restarted. */
async function restoreAll(lab: Lab, obs: ElectionObserver, restartEvery: boolean): Promise<void> {
  if ((await lab.links()).length > 0) await act(obs, { action: 'heal', members: [] }, 'heal every link', () => lab.heal());
  const st = await lab.status();
  const paused = st.members.filter((m) => m.state === 'paused').map((m) => m.name);
  if (paused.length > 0) await act(obs, { action: 'resume', members: paused }, `resume ${paused.join(', ')}`, async () => {
    for (const m of paused) await lab.resume(m);
  });
  const down = st.members.filter((m) => m.state !== 'running' && m.state !== 'paused' && m.state !== 'starting').map((m) => m.name);
  if (restartEvery) {
    await act(obs, { action: 'restart', members: [...lab.memberNames] }, 'restart every member, one after the other', () => lab.restart('all'));
  } else if (down.length > 0) {
    await act(obs, { action: 'restart', members: down }, `restart ${down.join(', ')}`, async () => {
      for (const m of down) await lab.restart(m);
    });
  }
}

export async function runChaos(lab: Lab, obs: ElectionObserver, o: ChaosOptions): Promise<ChaosReport> {
  const schedule = planSchedule({ seed: o.seed, durationMs: o.durationMs, members: lab.memberNames, faults: o.faults });
  const recording = new RunRecording(lab, `${o.prefix}reg/`, o.seed, o.workload ?? {});
  const writer = new Writer(lab, { prefix: o.prefix, timeoutMs: o.writeTimeoutMs ?? 2000, recorder: recording.recorder });
  await recording.start();
  const applied: AppliedFault[] = [];
  const start = Date.now();
  const progressEvery = o.progressEveryMs ?? 5000;
  const progress =
    progressEvery > 0
      ? setInterval(() => {
          obs.record({ kind: 'note', text: `writes so far: ${writer.acked.size} acknowledged, ${writer.failed} failed or timed out` });
        }, progressEvery)
      : null;
  obs.record({ kind: 'note', text: `seed ${o.seed}: ${schedule.length} faults planned over ${formatDuration(o.durationMs)} (${o.faults.join(', ')}); writing through ${lab.memberNames.join(', ')}` });
  const observerOffsetMs = obs.now() - recording.recorder.now();
  const sampler: MetricsSampler | null = o.sampleMetrics ? startMetricsSampler(lab, { t0: recording.recorder.t0 }) : null;
  writer.start();
  try {
    for (const f of schedule) {
      await sleep(start + f.atMs - Date.now(), o.signal);
      if (o.signal?.aborted) break;
      const members = resolveFaultMembers(f, obs.leader()?.name ?? null, lab.memberNames);
      const a: AppliedFault = { n: f.n, kind: f.kind, members, t: obs.now(), ms: 0 };
      applied.push(a);
      try {
        await inject(lab, obs, f, members);
      } catch (e) {
        a.error = errorText(e);
        obs.record({ kind: 'note', text: `#${f.n} ${describePlannedFault(f)} could not be injected: ${a.error}` });
        continue;
      }
      await sleep(f.holdMs, o.signal);
      try {
        await undo(lab, obs, f, members);
      } catch (e) {
        a.error = errorText(e);
        obs.record({ kind: 'note', text: `#${f.n} could not be undone: ${a.error}` });
      }
      a.ms = obs.now() - a.t;
    }
    await sleep(start + o.durationMs - Date.now(), o.signal);
  } finally {
    if (progress) clearInterval(progress);
    await Promise.all([writer.stop(), recording.stopWorkload()]);
  }
  const interrupted = o.signal?.aborted === true;
  obs.record({ kind: 'note', text: `writer stopped: ${writer.acked.size} acknowledged, ${writer.failed} failed or timed out; ${interrupted ? 'restoring the cluster' : 'healing, restarting every member, then checking'}` });
  let check: CheckReport | null = null;
  try {
    await restoreAll(lab, obs, !interrupted);
    if (!interrupted) {
      check = await checkWrites(lab, {
        prefix: o.prefix,
        acked: writer.acked,
        attempted: writer.attempted,
        withinMs: o.convergeWithinMs ?? 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const c = check.converge;
      obs.record({
        kind: 'check',
        ok: check.passed,
        text: check.passed
          ? `every acknowledged write (${check.acknowledged}) is on all ${lab.memberNames.length} members; revision ${c.revision}, hash ${c.hash}, one leader ${c.leader} (term ${c.term})`
          : `check failed: ${check.problem ?? 'unknown'}`,
      });
    }
  } catch (e) {
    // No watcher or sampler may outlive a run that could not be finished.
    await recording.abandon();
    await sampler?.stop();
    throw e;
  }
  const verdicts: CheckVerdict[] = [];
  const violations: Violation[] = [];
  let recorded: Recorded | null = null;
  if (interrupted) await recording.abandon();
  else {
    recorded = await recording.finish();
    if (recorded.finalProblem) obs.record({ kind: 'note', text: `watch check: ${recorded.finalProblem}` });
    verdicts.push({
      name: 'writes: acknowledged present',
      verdict: check?.passed ? 'passed' : 'failed',
      detail: check?.passed ? `${check.acknowledged} acknowledged writes on all ${lab.memberNames.length} members` : (check?.problem ?? 'not checked'),
    });
    // Timed-out writes settled by the final key history first: applied (ok) or never (dropped).
    const settled = resolveUnknownWrites(recorded.history, recorded.finalHistory, recorded.watchLog);
    const lin = linearizabilityVerdicts(checkRegisterHistory(settled.history, { budgetMs: o.linearizabilityBudgetMs ?? DEFAULT_BUDGET_MS }), settled);
    const watch = watchVerdicts(checkWatches(recorded.watchLog, recorded.finalHistory));
    verdicts.push(...lin.verdicts, ...watch.verdicts);
    violations.push(...lin.violations, ...watch.violations);
    for (const v of [...lin.verdicts, ...watch.verdicts]) {
      const text = `${v.name}: ${v.verdict} (${v.detail})`;
      obs.record(v.verdict === 'unknown' ? { kind: 'note', text } : { kind: 'check', ok: v.verdict === 'passed' || v.verdict === 'linearizable', text });
    }
  }
  const metrics = sampler ? await sampler.stop() : [];
  const verdict = interrupted ? 'unknown' : overallVerdict(verdicts);
  const ops = recorded?.history ?? recording.recorder.history();
  const count = (x: string): number => ops.filter((op) => op.outcome === x).length;
  const watchLog = recorded?.watchLog ?? [];
  const summary = obs.summary();
  return {
    passed: !interrupted && check !== null && check.passed && verdict === 'passed',
    interrupted,
    seed: o.seed,
    durationMs: o.durationMs,
    members: lab.memberNames,
    faultKinds: o.faults,
    schedule,
    faults: applied,
    elections: summary.elections,
    longestWithoutLeaderMs: summary.longestWithoutLeaderMs,
    writes: {
      attempted: writer.attempted,
      acknowledged: writer.acked.size,
      failed: writer.failed,
      failures: Object.fromEntries(writer.failures),
      committedUnacknowledged: check?.committedUnacknowledged ?? 0,
    },
    lost: check?.lostCount ?? 0,
    check,
    summary,
    timeline: [...obs.entries].sort((a, b) => a.t - b.t),
    verdict,
    verdicts,
    violations,
    workload: {
      clients: o.workload?.clients ?? WORKLOAD_DEFAULTS.clients,
      keys: o.workload?.keys ?? WORKLOAD_DEFAULTS.keys,
      operations: { ok: count('ok'), fail: count('fail'), unknown: count('unknown') },
      opsPerSecond: Math.round((ops.length / (o.durationMs / 1000)) * 10) / 10,
      txns: recorded?.txns ?? 0,
      watchEvents: watchLog.reduce((n, e) => n + (e.kind === 'response' ? e.events.length : 0), 0),
      watchReopens: watchLog.filter((e) => e.kind === 'open').length - new Set(watchLog.map((e) => e.watcher)).size,
    },
    observerOffsetMs,
    recorded,
    metrics,
  };
}
