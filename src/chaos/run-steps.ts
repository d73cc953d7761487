// One run of a scenario: what it remembers (names set with `as:`, the partition in place, a client per member),
// how a step's member references resolve, and the fault and action steps; the claims are in run-claims.ts.
import { LabError } from '../errors.js';
import type { EtcdClient } from '../etcd/client.js';
import { quorumOf } from '../plan/count.js';
import { didYouMean } from '../plan/suggest.js';
import { viewMembers, type MemberView } from './checker.js';
import type { HistoryRecorder } from './history-recorder.js';
import type { DelayTarget, FaultResult, Lab } from './lab.js';
import type { ElectionObserver, FaultIntent } from './observer.js';
import { convergeClaim, expectFollower, getClaim, putClaim, sleep, waitLeaderClaim, type ClaimOutcome } from './run-claims.js';
import type { Ref, Scenario, Step } from './scenario-types.js';
import { TARGET_WORDS } from './targets.js';
import type { TimelineEntry } from './timeline.js';

export class Run {
  readonly vars = new Map<string, string[]>();
  /** The groups of the partition in place (null once healed). */
  private groups: string[][] | null = null;
  private readonly clients = new Map<string, EtcdClient>();
  private readonly quorum: number;

  constructor(
    readonly s: Scenario,
    readonly lab: Lab,
    readonly obs: ElectionObserver,
    readonly signal: AbortSignal | undefined,
    readonly recorder: HistoryRecorder,
  ) {
    this.quorum = quorumOf(lab.memberNames.length);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }

  client(member: string): EtcdClient {
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
  names(step: Step, ref: Ref): string[] | null {
    if (ref === 'leader' || ref === '$leader') return [this.currentLeader(step)];
    if (ref.startsWith('$')) {
      const v = this.vars.get(ref.slice(1));
      if (!v) this.fail(step, `${ref} was not set: the step that remembers it did not run`);
      return v;
    }
    if ((TARGET_WORDS as readonly string[]).includes(ref)) return null;
    return [this.member(step, ref)];
  }

  one(step: Step, ref: Ref, what: string): string {
    const n = this.names(step, ref);
    if (!n || n.length !== 1) this.fail(step, `${what} must be one member, and ${ref} is ${n ? n.join(', ') : 'a word for several'}`);
    return n[0]!;
  }

  async running(): Promise<MemberView[]> {
    return viewMembers(this.lab, (n) => this.client(n), false);
  }

  /** Where a put or get goes: a member, the leader, a follower, any member that answers, or a side of the partition. */
  async route(step: Step, via: Ref): Promise<{ member: string; label: string }> {
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
  async step(step: Step): Promise<ClaimOutcome | null> {
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
      case 'wait-leader':
        return waitLeaderClaim(this, step);
      case 'put':
        return putClaim(this, step);
      case 'get':
        return getClaim(this, step);
      case 'expect-follower':
        return expectFollower(this, this.one(step, step.member, 'expect-follower'), step.withinMs);
      case 'converge':
        return convergeClaim(this, step);
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
