// Plays a scenario against a Lab while an ElectionObserver watches: faults, waits, writes and reads, and claims
// that PASS or FAIL. A failed claim does not stop the run; a step that cannot be carried out does.
import { LabError } from '../errors.js';
import { EtcdClient } from '../etcd/client.js';
import { quorumOf } from '../plan/count.js';
import { formatDuration } from '../plan/duration.js';
import { didYouMean } from '../plan/suggest.js';
import { viewMembers, waitConverged, type MemberView } from './checker.js';
import type { DelayTarget, FaultResult, Lab } from './lab.js';
import type { ElectionObserver, FaultIntent } from './observer.js';
import { CLAIM_KINDS, type Ref, type Scenario, type Step } from './scenario.js';
import { TARGET_WORDS } from './targets.js';
import type { TimelineEntry, TimelineSummary } from './timeline.js';
import { failureReason } from './writer.js';

/** etcd's answers to a read that an election cut short; asked again within the step's request timeout. */
const RETRIED_READ_ERRORS = new Set(['leader changed', 'no leader']);
/** At least this long between two tries of such a read (etcd's client backs off ~25 ms). */
const RETRY_PAUSE_MS = 50;

import type { RegisterOperation } from '../check/history.js';
import { HistoryRecorder } from './history-recorder.js';

/** The client name of a scenario's steps in the history (one sequential client). */
const SCENARIO_CLIENT = 'scenario';

export interface ClaimResult {
  /** 1-based step number. */
  step: number;
  where: string;
  kind: Step['kind'];
  claim: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface ScenarioReport {
  scenario: string;
  file: string;
  members: readonly string[];
  passed: boolean;
  claims: ClaimResult[];
  /** The step that could not be carried out, when one stopped the run. */
  error: { step: number; where: string; message: string; hint?: string } | null;
  /** Steps not run after an error or an interruption. */
  skipped: number;
  interrupted: boolean;
  /** Names remembered with `as:`. */
  vars: Record<string, string[]>;
  timeline: TimelineEntry[];
  summary: TimelineSummary;
  /**
   * Every put and linearizable get the steps made (client "scenario"), as Operations. Serializable gets are
   * left out: they read one member's copy and do not promise linearizability.
   */
  history: RegisterOperation[];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Records the put and linearizable get steps (client "scenario"); a new one when not given. */
  recorder?: HistoryRecorder;
  onClaim?: (c: ClaimResult) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

class Run {
  readonly vars = new Map<string, string[]>();
  /** The groups of the partition in place (null once healed). */
  private groups: string[][] | null = null;
  private readonly clients = new Map<string, EtcdClient>();
  private readonly quorum: number;

  constructor(
    private readonly s: Scenario,
    private readonly lab: Lab,
    private readonly obs: ElectionObserver,
    private readonly signal: AbortSignal | undefined,
    private readonly recorder: HistoryRecorder,
  ) {
    this.quorum = quorumOf(lab.memberNames.length);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }

  private client(member: string): EtcdClient {
    let c = this.clients.get(member);
    if (!c) {
      c = this.lab.etcdClient(member, this.s.requestTimeoutMs);
      this.clients.set(member, c);
    }
    return c;
  }

  private fail(step: Step, message: string, hint?: string): never {
    throw new LabError('USAGE', `${step.where}: ${message}`, hint ? { hint } : {});
  }

  private member(step: Step, name: string): string {
    if (this.lab.memberNames.includes(name)) return name;
    return this.fail(step, `there is no member "${name}"${didYouMean(name, this.lab.memberNames)}`, `members: ${this.lab.memberNames.join(', ')}`);
  }

  private currentLeader(step: Step): string {
    const l = this.obs.leader();
    if (!l) this.fail(step, 'the cluster has no leader right now', 'add a "wait-leader" step before this one');
    return l.name;
  }

  /** `$x`, `leader` or a member name -> member names; other target words are left to the Lab (null). */
  private names(step: Step, ref: Ref): string[] | null {
    if (ref === 'leader' || ref === '$leader') return [this.currentLeader(step)];
    if (ref.startsWith('$')) {
      const v = this.vars.get(ref.slice(1));
      if (!v) this.fail(step, `${ref} was not set: the step that remembers it did not run`);
      return v;
    }
    if ((TARGET_WORDS as readonly string[]).includes(ref)) return null;
    return [this.member(step, ref)];
  }

  private one(step: Step, ref: Ref, what: string): string {
    const n = this.names(step, ref);
    if (!n || n.length !== 1) this.fail(step, `${what} must be one member, and ${ref} is ${n ? n.join(', ') : 'a word for several'}`);
    return n[0]!;
  }

  private async running(): Promise<MemberView[]> {
    return viewMembers(this.lab, (n) => this.client(n), false);
  }

  /** Where a put or get goes: a member, the leader, a follower, any member that answers, or a side of the partition. */
  private async route(step: Step, via: Ref): Promise<{ member: string; label: string }> {
    const label = (m: string, word: string): { member: string; label: string } => ({ member: m, label: `${m} (${word})` });
    switch (via) {
      case 'leader':
      case '$leader': {
        // Right after a fault there may be no leader yet: give it the request timeout to appear.
        const l = await this.obs.waitLeader({ withinMs: this.s.requestTimeoutMs, ...(this.signal ? { signal: this.signal } : {}) });
        return label(l?.name ?? this.currentLeader(step), 'leader');
      }
      case 'majority':
      case 'minority': {
        if (!this.groups) this.fail(step, `via: ${via} needs a partition in place`, 'add a "partition" step before this one');
        const side = this.groups.filter((g) => (via === 'majority' ? g.length >= this.quorum : g.length < this.quorum));
        if (side.length === 0) this.fail(step, `the partition in place has no ${via} side`);
        const leader = this.obs.leader()?.name;
        const group = side[0]!;
        // On the majority side, a follower shows the request being forwarded; any member will do on the minority.
        return label(group.find((m) => m !== leader) ?? group[0]!, via);
      }
      case 'follower':
      case 'any': {
        const views = await this.running();
        const leader = this.obs.leader()?.name;
        const pick = views.find((v) => v.answered && (via === 'any' || v.name !== leader));
        if (!pick) this.fail(step, `no ${via === 'any' ? 'member' : 'follower'} answers right now`);
        return label(pick.name, via);
      }
      default: {
        const m = this.one(step, via, 'via');
        return { member: m, label: via.startsWith('$') ? `${m} (${via})` : m };
      }
    }
  }

  /**
   * Injects a fault with the observer told first. When the members are known beforehand the entry is shown before
   * the lab acts (a restart can take a while); otherwise once the lab says whom it hit.
   */
  private async fault(intent: FaultIntent, known: boolean, act: () => Promise<FaultResult>, text: (members: string[]) => string): Promise<FaultResult> {
    this.obs.faultStarting(intent);
    let entry: TimelineEntry | null = known ? this.obs.recordFault(text(intent.members)) : null;
    let r: FaultResult;
    try {
      r = await act();
    } catch (e) {
      if (entry) this.obs.record({ kind: 'note', text: `${entry.text} failed: ${e instanceof Error ? e.message : String(e)}` });
      else this.obs.faultFailed();
      throw e;
    }
    entry ??= this.obs.recordFault(text(r.members), { members: r.members });
    if (r.note) this.obs.record({ kind: 'note', text: r.note, t: entry.t });
    return r;
  }

  /** Runs one step; returns a claim result for claims, null for actions. */
  async step(step: Step): Promise<Omit<ClaimResult, 'step' | 'where' | 'kind' | 'ms'> | null> {
    const lab = this.lab;
    switch (step.kind) {
      case 'kill':
      case 'pause':
      case 'resume':
      case 'restart':
      case 'isolate': {
        const names = this.names(step, step.target);
        const leader = this.obs.leader()?.name;
        const kind = step.kind;
        const call = (t: string): Promise<FaultResult> =>
          kind === 'kill'
            ? lab.kill(t, { signal: step.signal })
            : kind === 'pause'
              ? lab.pause(t)
              : kind === 'resume'
                ? lab.resume(t)
                : kind === 'restart'
                  ? lab.restart(t)
                  : lab.isolate(t);
        const r = await this.fault(
          { action: kind, members: names ?? [] },
          names !== null,
          async () => {
            if (!names) return call(step.target);
            const rs: FaultResult[] = [];
            for (const n of names) rs.push(await call(n));
            const note = rs.find((x) => x.note)?.note;
            return { ...rs[0]!, members: rs.flatMap((x) => x.members), ...(note ? { note } : {}) };
          },
          (hit) => {
            const who = hit.map((m) => (m === leader ? `${m} (the leader)` : m)).join(', ');
            return `${kind} ${who || step.target}${kind === 'kill' ? ` with ${step.signal}` : ''}`;
          },
        );
        if (step.as) this.vars.set(step.as, r.members);
        return null;
      }
      case 'partition': {
        const groups = this.resolveGroups(step, step.groups);
        await this.fault({ action: 'partition', members: groups.flat(), groups }, true, () => lab.partition(groups), () => `partition ${groups.map((g) => g.join(',')).join(' | ')}`);
        this.groups = groups;
        return null;
      }
      case 'cut': {
        const from = this.one(step, step.from, 'cut.from');
        const to = this.one(step, step.to, 'cut.to');
        await this.fault({ action: 'cut', members: [from, to] }, true, () => lab.cut(from, to), () => `cut ${from} -> ${to}`);
        return null;
      }
      case 'delay': {
        const t = step.target;
        const target: DelayTarget = typeof t === 'string' ? { member: this.one(step, t, 'delay.target') } : { from: this.one(step, t.from, 'delay.link'), to: this.one(step, t.to, 'delay.link') };
        const what = 'member' in target ? `${target.member}'s links` : `${target.from} -> ${target.to}`;
        await this.fault(
          { action: 'delay', members: 'member' in target ? [target.member] : [target.from, target.to] },
          true,
          () => lab.delay(target, step.delayMs, step.jitterMs),
          () => `delay ${what} by ${step.delayMs}${step.jitterMs ? `±${step.jitterMs}` : ''} ms`,
        );
        return null;
      }
      case 'heal':
        await this.fault({ action: 'heal', members: [] }, true, () => lab.heal(), () => 'heal (every link open again)');
        this.groups = null;
        return null;
      case 'sleep':
        await sleep(step.ms, this.signal);
        return null;
      case 'note':
        this.obs.record({ kind: 'note', text: step.text });
        return null;
      case 'wait-leader': {
        const not = step.not ? (this.names(step, step.not) ?? []) : [];
        const claim = `a leader${not.length ? ` other than ${not.join(', ')}` : ''} within ${formatDuration(step.withinMs)}`;
        const l = await this.obs.waitLeader({ not, withinMs: step.withinMs, ...(this.signal ? { signal: this.signal } : {}) });
        if (!l) return { claim, ok: false, detail: `none after ${formatDuration(step.withinMs)}` };
        if (step.as) this.vars.set(step.as, [l.name]);
        const elected = [...this.obs.entries].reverse().find((e) => e.kind === 'leader-elected' && e.member === l.name && e.term === l.term);
        const gap = elected?.withoutLeaderMs !== undefined ? `, after ${formatDuration(elected.withoutLeaderMs)} without a leader` : '';
        return { claim, ok: true, detail: `${l.name} (term ${l.term})${gap}` };
      }
      case 'put': {
        const { member, label } = await this.route(step, step.via);
        const claim = `put ${step.key} via ${label} ${step.expect === 'ok' ? 'succeeds' : 'fails or times out'}`;
        const t0 = performance.now();
        try {
          const put = () => this.client(member).put(step.key, step.value, { timeoutMs: step.timeoutMs ?? this.s.requestTimeoutMs });
          const r = await this.recorder.wrap(SCENARIO_CLIENT, member, { f: 'put', key: step.key, value: step.value }, put, (x) => ({ output: { f: 'put' }, revision: x.revision }));
          const ms = Math.round(performance.now() - t0);
          this.obs.record({ kind: 'write-ok', member, key: step.key, value: step.value, ms, revision: r.revision });
          return { claim, ok: step.expect === 'ok', detail: `ok in ${formatDuration(ms)} (revision ${r.revision})` };
        } catch (e) {
          const ms = Math.round(performance.now() - t0);
          const reason = failureReason(e);
          this.obs.record({ kind: 'write-failed', member, key: step.key, value: step.value, ms, reason });
          return { claim, ok: step.expect === 'fail', detail: `${reason} after ${formatDuration(ms)}` };
        }
      }
      case 'get': {
        const { member, label } = await this.route(step, step.via);
        const kind = step.linearizable ? 'linearizable' : 'serializable';
        const wanted = step.expect === 'fail' ? 'fails or times out' : step.value === undefined ? 'succeeds' : step.value === null ? 'finds no such key' : `returns ${JSON.stringify(step.value)}`;
        const claim = `a ${kind} get of ${step.key} via ${label} ${wanted}`;
        const t0 = performance.now();
        const budgetMs = step.timeoutMs ?? this.s.requestTimeoutMs;
        const retried: string[] = [];
        for (;;) {
          const t1 = performance.now();
          try {
            const timeoutMs = Math.max(1, Math.round(budgetMs - (t1 - t0)));
            const get = () => this.client(member).get(step.key, { serializable: !step.linearizable, timeoutMs });
            const r = step.linearizable
              ? await this.recorder.wrap(SCENARIO_CLIENT, member, { f: 'get', key: step.key }, get, (x) => ({ output: { f: 'get', value: x.value }, revision: x.revision }))
              : await get();
            const ms = Math.round(performance.now() - t0);
            this.obs.record({ kind: 'read-ok', member, key: step.key, value: r.value, ms: Math.round(performance.now() - t1), revision: r.revision });
            const got = r.value === null ? 'no such key' : JSON.stringify(r.value);
            const ok = step.expect === 'ok' && (step.value === undefined || step.value === r.value);
            const times = retried.length > 1 ? ` (${retried.length} times)` : '';
            const again = retried.length > 0 ? `, asked again after: ${[...new Set(retried)].join(', ')}${times}` : '';
            return { claim, ok, detail: `${got} in ${formatDuration(ms)} (revision ${r.revision}${again})` };
          } catch (e) {
            const reason = failureReason(e);
            const left = budgetMs - (performance.now() - t0);
            // The timeline shows each kind of failure once, and the last one.
            const record = (): void => {
              this.obs.record({ kind: 'read-failed', member, key: step.key, ms: Math.round(performance.now() - t1), reason });
            };
            // A read is safe to ask again, as etcd's own client does when an election cut it short.
            if (RETRIED_READ_ERRORS.has(reason) && left > 0) {
              if (!retried.includes(reason)) record();
              retried.push(reason);
              const signal = this.signal ? { signal: this.signal } : {};
              await Promise.all([this.obs.waitLeader({ withinMs: left, ...signal }), new Promise((r) => setTimeout(r, Math.min(RETRY_PAUSE_MS, left)))]);
              if (budgetMs - (performance.now() - t0) > 0) continue;
            } else record();
            const ms = Math.round(performance.now() - t0);
            return { claim, ok: step.expect === 'fail', detail: `${reason} after ${formatDuration(ms)}` };
          }
        }
      }
      case 'expect-follower':
        return this.expectFollower(this.one(step, step.member, 'expect-follower'), step.withinMs);
      case 'converge': {
        const claim = `every member converges within ${formatDuration(step.withinMs)}: one leader, same revision, same hash`;
        const r = await waitConverged(lab, { withinMs: step.withinMs, ...(this.signal ? { signal: this.signal } : {}) });
        if (!r.ok) return { claim, ok: false, detail: r.problem ?? 'not converged' };
        return {
          claim,
          ok: true,
          detail: `${r.members.length} members at revision ${r.revision}, hash ${r.hash}, leader ${r.leader} (term ${r.term}), in ${formatDuration(r.ms)}`,
        };
      }
    }
  }

  private async expectFollower(member: string, withinMs: number): Promise<{ claim: string; ok: boolean; detail: string }> {
    const claim = `${member} rejoins as a follower with the same revision as the others within ${formatDuration(withinMs)}`;
    const deadline = Date.now() + withinMs;
    let problem = 'not looked yet';
    for (;;) {
      const views = await this.running();
      const me = views.find((v) => v.name === member)!;
      const others = views.filter((v) => v.answered && v.name !== member);
      const leaders = new Set(views.filter((v) => v.answered).map((v) => v.leader));
      if (!me.answered) problem = `${member} does not answer`;
      else if (me.leader === null) problem = `${member} knows no leader`;
      else if (me.leader === member) problem = `${member} is the leader, not a follower`;
      else if (leaders.size !== 1) problem = `members follow different leaders: ${views.map((v) => `${v.name} ${v.leader ?? 'none'}`).join(', ')}`;
      else if (others.some((o) => o.revision !== me.revision)) problem = `revisions differ: ${views.map((v) => `${v.name} ${v.revision ?? '-'}`).join(', ')}`;
      else return { claim, ok: true, detail: `${member} follows ${me.leader} at revision ${me.revision} (term ${me.term}), like the others` };
      if (Date.now() >= deadline || this.signal?.aborted) return { claim, ok: false, detail: problem };
      await sleep(50, this.signal);
    }
  }

  /** Partition group entries -> member names; `follower` picks a member no other entry names, `rest` takes the others. */
  private resolveGroups(step: Step, groups: Ref[][]): string[][] {
    const used = new Set<string>();
    const take = (n: string): string => {
      if (used.has(n)) this.fail(step, `${n} is in the partition twice`);
      used.add(n);
      return n;
    };
    const out: (string | 'follower' | 'rest')[][] = groups.map((g) =>
      g.flatMap((ref) => {
        if (ref === 'rest' || ref === 'follower') return [ref];
        const names = this.names(step, ref) ?? this.fail(step, `"${ref}" cannot be used in a partition`, 'use member names, $names, leader, follower or rest');
        return names.map(take);
      }),
    );
    const leader = this.obs.leader()?.name;
    const final = out.map((g) =>
      g.flatMap((x) => {
        if (x !== 'follower') return [x];
        const f = this.lab.memberNames.find((m) => m !== leader && !used.has(m));
        if (!f) this.fail(step, 'no follower is left to put in this group');
        return [take(f)];
      }),
    );
    const withRest = final.map((g) => g.flatMap((x) => (x === 'rest' ? this.lab.memberNames.filter((m) => !used.has(m)) : [x])));
    if (withRest.some((g) => g.length === 0)) this.fail(step, `a group of the partition is empty: ${withRest.map((g) => g.join(',') || '(none)').join(' | ')}`);
    return withRest;
  }
}

/** Runs every step in order. The observer must be started (and is left running: the caller stops it). */
export async function runScenario(s: Scenario, lab: Lab, obs: ElectionObserver, opts: RunOptions = {}): Promise<ScenarioReport> {
  const recorder = opts.recorder ?? new HistoryRecorder();
  const run = new Run(s, lab, obs, opts.signal, recorder);
  const claims: ClaimResult[] = [];
  let error: ScenarioReport['error'] = null;
  let done = 0;
  try {
    for (const [i, step] of s.steps.entries()) {
      if (opts.signal?.aborted) break;
      const t0 = performance.now();
      try {
        const r = await run.step(step);
        if (r && CLAIM_KINDS.has(step.kind)) {
          const c: ClaimResult = { step: i + 1, where: step.where, kind: step.kind, ...r, claim: step.claim ?? r.claim, ms: Math.round(performance.now() - t0) };
          if (opts.signal?.aborted && !c.ok) break;
          claims.push(c);
          obs.record({ kind: 'check', ok: c.ok, text: c.ok ? c.claim : `${c.claim}: ${c.detail}` });
          opts.onClaim?.(c);
        }
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const hint = e instanceof LabError ? e.hint : undefined;
        error = { step: i + 1, where: step.where, message, ...(hint ? { hint } : {}) };
        obs.record({ kind: 'check', ok: false, text: `step ${i + 1} could not run: ${message}` });
        done = i + 1;
        break;
      }
      done = i + 1;
    }
  } finally {
    run.close();
  }
  const interrupted = opts.signal?.aborted === true;
  return {
    scenario: s.name,
    file: s.file,
    members: lab.memberNames,
    passed: error === null && !interrupted && claims.every((c) => c.ok),
    claims,
    error,
    skipped: s.steps.length - done,
    interrupted,
    vars: Object.fromEntries(run.vars),
    timeline: [...obs.entries].sort((a, b) => a.t - b.t),
    summary: obs.summary(),
    history: recorder.history(),
  };
}
