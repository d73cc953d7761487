// The steps of a scenario that claim something (a leader, a put, a get, a follower rejoining, convergence): each
// is carried out and answers PASS or FAIL with what it saw.
import { formatDuration } from '../plan/duration.js';
import { waitConverged } from './checker.js';
import type { Run } from './run-steps.js';
import type { ClaimResult } from './runner.js';
import type { Step } from './scenario-types.js';
import { failureReason } from './writer.js';

/** etcd's answers to a read that an election cut short; asked again within the step's request timeout. */
const RETRIED_READ_ERRORS = new Set(['leader changed', 'no leader']);
/** At least this long between two tries of such a read (etcd's client backs off ~25 ms). */
const RETRY_PAUSE_MS = 50;

/** The client name of a scenario's steps in the history (one sequential client). */
const SCENARIO_CLIENT = 'scenario';

/** What a claim step answers; runScenario adds where and how long. */
export type ClaimOutcome = Omit<ClaimResult, 'step' | 'where' | 'kind' | 'ms'>;

type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

export async function waitLeaderClaim(run: Run, step: StepOf<'wait-leader'>): Promise<ClaimOutcome> {
  const not = step.not ? (run.names(step, step.not) ?? []) : [];
  const claim = `a leader${not.length ? ` other than ${not.join(', ')}` : ''} within ${formatDuration(step.withinMs)}`;
  const l = await run.obs.waitLeader({ not, withinMs: step.withinMs, ...(run.signal ? { signal: run.signal } : {}) });
  if (!l) return { claim, ok: false, detail: `none after ${formatDuration(step.withinMs)}` };
  if (step.as) run.vars.set(step.as, [l.name]);
  const elected = [...run.obs.entries].reverse().find((e) => e.kind === 'leader-elected' && e.member === l.name && e.term === l.term);
  const gap = elected?.withoutLeaderMs !== undefined ? `, after ${formatDuration(elected.withoutLeaderMs)} without a leader` : '';
  return { claim, ok: true, detail: `${l.name} (term ${l.term})${gap}` };
}

export async function putClaim(run: Run, step: StepOf<'put'>): Promise<ClaimOutcome> {
  const { member, label } = await run.route(step, step.via);
  const claim = `put ${step.key} via ${label} ${step.expect === 'ok' ? 'succeeds' : 'fails or times out'}`;
  const t0 = performance.now();
  try {
    const put = () => run.client(member).put(step.key, step.value, { timeoutMs: step.timeoutMs ?? run.s.requestTimeoutMs });
    const r = await run.recorder.wrap(SCENARIO_CLIENT, member, { f: 'put', key: step.key, value: step.value }, put, (x) => ({ output: { f: 'put' }, revision: x.revision }));
    const ms = Math.round(performance.now() - t0);
    run.obs.record({ kind: 'write-ok', member, key: step.key, value: step.value, ms, revision: r.revision });
    return { claim, ok: step.expect === 'ok', detail: `ok in ${formatDuration(ms)} (revision ${r.revision})` };
  } catch (e) {
    const ms = Math.round(performance.now() - t0);
    const reason = failureReason(e);
    run.obs.record({ kind: 'write-failed', member, key: step.key, value: step.value, ms, reason });
    return { claim, ok: step.expect === 'fail', detail: `${reason} after ${formatDuration(ms)}` };
  }
}

export async function getClaim(run: Run, step: StepOf<'get'>): Promise<ClaimOutcome> {
  const { member, label } = await run.route(step, step.via);
  const kind = step.linearizable ? 'linearizable' : 'serializable';
  const wanted = step.expect === 'fail' ? 'fails or times out' : step.value === undefined ? 'succeeds' : step.value === null ? 'finds no such key' : `returns ${JSON.stringify(step.value)}`;
  const claim = `a ${kind} get of ${step.key} via ${label} ${wanted}`;
  const t0 = performance.now();
  const budgetMs = step.timeoutMs ?? run.s.requestTimeoutMs;
  const retried: string[] = [];
  for (;;) {
    const t1 = performance.now();
    try {
      const timeoutMs = Math.max(1, Math.round(budgetMs - (t1 - t0)));
      const get = () => run.client(member).get(step.key, { serializable: !step.linearizable, timeoutMs });
      const r = step.linearizable
        ? await run.recorder.wrap(SCENARIO_CLIENT, member, { f: 'get', key: step.key }, get, (x) => ({ output: { f: 'get', value: x.value }, revision: x.revision }))
        : await get();
      const ms = Math.round(performance.now() - t0);
      run.obs.record({ kind: 'read-ok', member, key: step.key, value: r.value, ms: Math.round(performance.now() - t1), revision: r.revision });
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
        run.obs.record({ kind: 'read-failed', member, key: step.key, ms: Math.round(performance.now() - t1), reason });
      };
      // A read is safe to ask again, as etcd's own client does when an election cut it short.
      if (RETRIED_READ_ERRORS.has(reason) && left > 0) {
        if (!retried.includes(reason)) record();
        retried.push(reason);
        const signal = run.signal ? { signal: run.signal } : {};
        await Promise.all([run.obs.waitLeader({ withinMs: left, ...signal }), new Promise((r) => setTimeout(r, Math.min(RETRY_PAUSE_MS, left)))]);
        if (budgetMs - (performance.now() - t0) > 0) continue;
      } else record();
      const ms = Math.round(performance.now() - t0);
      return { claim, ok: step.expect === 'fail', detail: `${reason} after ${formatDuration(ms)}` };
    }
  }
}

export async function convergeClaim(run: Run, step: StepOf<'converge'>): Promise<ClaimOutcome> {
  const claim = `every member converges within ${formatDuration(step.withinMs)}: one leader, same revision, same hash`;
  const r = await waitConverged(run.lab, { withinMs: step.withinMs, ...(run.signal ? { signal: run.signal } : {}) });
  if (!r.ok) return { claim, ok: false, detail: r.problem ?? 'not converged' };
  return {
    claim,
    ok: true,
    detail: `${r.members.length} members at revision ${r.revision}, hash ${r.hash}, leader ${r.leader} (term ${r.term}), in ${formatDuration(r.ms)}`,
  };
}

export async function expectFollower(run: Run, member: string, withinMs: number): Promise<{ claim: string; ok: boolean; detail: string }> {
  const claim = `${member} rejoins as a follower with the same revision as the others within ${formatDuration(withinMs)}`;
  const deadline = Date.now() + withinMs;
  let problem = 'not looked yet';
  for (;;) {
    const views = await run.running();
    const me = views.find((v) => v.name === member)!;
    const others = views.filter((v) => v.answered && v.name !== member);
    const leaders = new Set(views.filter((v) => v.answered).map((v) => v.leader));
    if (!me.answered) problem = `${member} does not answer`;
    else if (me.leader === null) problem = `${member} knows no leader`;
    else if (me.leader === member) problem = `${member} is the leader, not a follower`;
    else if (leaders.size !== 1) problem = `members follow different leaders: ${views.map((v) => `${v.name} ${v.leader ?? 'none'}`).join(', ')}`;
    else if (others.some((o) => o.revision !== me.revision)) problem = `revisions differ: ${views.map((v) => `${v.name} ${v.revision ?? '-'}`).join(', ')}`;
    else return { claim, ok: true, detail: `${member} follows ${me.leader} at revision ${me.revision} (term ${me.term}), like the others` };
    if (Date.now() >= deadline || run.signal?.aborted) return { claim, ok: false, detail: problem };
    await sleep(50, run.signal);
  }
}
