// After the faults: has the cluster converged (one leader, every member at the same revision with the same
// backend hash), and is every acknowledged write on every member?
import { EtcdClient } from '../etcd/client.js';
import type { Lab } from './lab.js';
import { SEQ_DIGITS, type WriteRecord } from './writer.js';

export interface MemberView {
  name: string;
  answered: boolean;
  id: string | null;
  /** Name of the leader this member follows (itself when it leads); null when none. */
  leader: string | null;
  term: string | null;
  revision: string | null;
  hash: string | null;
}

export interface ConvergeResult {
  ok: boolean;
  /** How long it took (or how long was tried). */
  ms: number;
  leader: string | null;
  term: string | null;
  revision: string | null;
  hash: string | null;
  members: MemberView[];
  /** What was still wrong at the last look (null when ok). */
  problem: string | null;
}

const CALL_TIMEOUT_MS = 500;

/** Every member's status (and backend hash) at once, each call bounded; `leader` names are resolved from the answers. */
export async function viewMembers(lab: Lab, clientOf: (name: string) => EtcdClient, withHash: boolean): Promise<MemberView[]> {
  const answers = await Promise.all(
    lab.memberNames.map(async (name) => {
      try {
        return { name, s: await clientOf(name).status({ timeoutMs: CALL_TIMEOUT_MS }) };
      } catch {
        return { name, s: null };
      }
    }),
  );
  const byId = new Map(answers.filter((a) => a.s).map((a) => [a.s!.memberId, a.name]));
  const views: MemberView[] = answers.map(({ name, s }) => ({
    name,
    answered: s !== null,
    id: s?.memberId ?? null,
    leader: s?.leader ? (byId.get(s.leader) ?? s.leader) : null,
    term: s?.raftTerm ?? null,
    revision: s?.revision ?? null,
    hash: null,
  }));
  if (withHash) {
    await Promise.all(
      views.map(async (v) => {
        try {
          const h = await clientOf(v.name).hash({ timeoutMs: CALL_TIMEOUT_MS * 4 });
          // A hash is only comparable at the revision the status saw.
          v.hash = h.revision === v.revision ? h.hash : null;
        } catch {
          v.hash = null;
        }
      }),
    );
  }
  return views;
}

function differs(views: MemberView[], pick: (v: MemberView) => string | null): boolean {
  return new Set(views.map(pick)).size > 1;
}

function listing(views: MemberView[], pick: (v: MemberView) => string | null): string {
  return views.map((v) => `${v.name} ${pick(v) ?? 'none'}`).join(', ');
}

/** What keeps these views from being converged; null when they are. */
export function convergeProblem(views: MemberView[]): string | null {
  const silent = views.filter((v) => !v.answered);
  if (silent.length > 0) return `${silent.map((v) => v.name).join(', ')} ${silent.length === 1 ? 'does' : 'do'} not answer`;
  const leaders = views.filter((v) => v.leader === v.name);
  if (leaders.length !== 1 || differs(views, (v) => v.leader) || views[0]!.leader === null) {
    return `members do not agree on one leader: ${listing(views, (v) => v.leader)}`;
  }
  if (differs(views, (v) => v.revision)) return `revisions differ: ${listing(views, (v) => v.revision)}`;
  if (views.some((v) => v.hash === null)) return null;
  if (differs(views, (v) => v.hash)) return `hashes differ at revision ${views[0]!.revision}: ${listing(views, (v) => v.hash)}`;
  return null;
}

/** Waits (bounded) until every member answers, one leader is agreed on, revisions and backend hashes are equal. */
export async function waitConverged(lab: Lab, opts: { withinMs: number; signal?: AbortSignal }): Promise<ConvergeResult> {
  const t0 = Date.now();
  const clients = new Map(lab.memberNames.map((n) => [n, lab.etcdClient(n, CALL_TIMEOUT_MS)]));
  let views: MemberView[] = [];
  let problem: string | null = 'not looked yet';
  try {
    for (;;) {
      views = await viewMembers(lab, (n) => clients.get(n)!, false);
      problem = convergeProblem(views);
      if (problem === null) {
        views = await viewMembers(lab, (n) => clients.get(n)!, true);
        problem = convergeProblem(views);
        if (problem === null && views.some((v) => v.hash === null)) problem = 'a member changed revision while its hash was read';
        if (problem === null) break;
      }
      if (Date.now() - t0 >= opts.withinMs || opts.signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  const ok = problem === null;
  const leader = ok ? views[0]!.leader : null;
  const lv = views.find((v) => v.name === leader);
  return {
    ok,
    ms: Date.now() - t0,
    leader,
    term: lv?.term ?? null,
    revision: ok ? views[0]!.revision : null,
    hash: ok ? views[0]!.hash : null,
    members: views,
    problem,
  };
}

export interface LostWrite {
  seq: number;
  key: string;
  /** The member the put was acknowledged by. */
  via: string;
  /** Members that do not have it (or have another value). */
  missingOn: string[];
}

export interface CheckReport {
  passed: boolean;
  converge: ConvergeResult;
  acknowledged: number;
  /** Acknowledged writes missing on some member; at most 20 listed, `lostCount` counts them all. */
  lost: LostWrite[];
  lostCount: number;
  /** Keys whose value is not the one written. */
  wrongValues: number;
  /** Puts that were not acknowledged (failed or timed out) but were committed anyway: allowed. */
  committedUnacknowledged: number;
  /** Keys of this run found per member. */
  keysPerMember: Record<string, number>;
  problem: string | null;
}

const CHUNK_DIGITS = 3;

/** Every key of the run on one member, read in chunks of 1000 sequence numbers (bounded responses). */
async function readAll(client: EtcdClient, prefix: string, attempted: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const chunks = Math.ceil(attempted / 10 ** CHUNK_DIGITS);
  for (let c = 0; c < chunks; c++) {
    // Serializable: each member's own copy is what is checked, and it answers between elections too (the members
    // already agree on revision and hash: waitConverged).
    const r = await client.range(`${prefix}${String(c).padStart(SEQ_DIGITS - CHUNK_DIGITS, '0')}`, { serializable: true, timeoutMs: 5000 });
    for (const kv of r.kvs) out.set(Number(kv.key.slice(prefix.length)), kv.value);
  }
  return out;
}

/** Converges the cluster (bounded), then reads every key of the run back from every member. */
export async function checkWrites(
  lab: Lab,
  opts: { prefix: string; acked: ReadonlyMap<number, WriteRecord>; attempted: number; withinMs: number; signal?: AbortSignal },
): Promise<CheckReport> {
  const converge = await waitConverged(lab, { withinMs: opts.withinMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  const report: CheckReport = {
    passed: false,
    converge,
    acknowledged: opts.acked.size,
    lost: [],
    lostCount: 0,
    wrongValues: 0,
    committedUnacknowledged: 0,
    keysPerMember: {},
    problem: converge.problem,
  };
  const data = new Map<string, Map<number, string> | null>();
  const whyUnread = new Map<string, string>();
  await Promise.all(
    lab.memberNames.map(async (name) => {
      const client = lab.etcdClient(name, 5000);
      try {
        // Right after convergence a read can still meet a leader change or a loaded machine: a few bounded tries.
        let kvs: Map<number, string> | null = null;
        for (let attempt = 0; attempt < 4 && kvs === null; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
          kvs = await readAll(client, opts.prefix, opts.attempted).catch((e: unknown) => {
            whyUnread.set(name, (e as Error).message);
            return null;
          });
        }
        data.set(name, kvs);
      } finally {
        client.close();
      }
    }),
  );
  const unread = lab.memberNames.filter((n) => !data.get(n));
  for (const [name, kvs] of data) if (kvs) report.keysPerMember[name] = kvs.size;
  for (const w of opts.acked.values()) {
    const missingOn = lab.memberNames.filter((n) => {
      const v = data.get(n)?.get(w.seq);
      return data.get(n) && v !== w.value;
    });
    if (missingOn.length === 0) continue;
    report.lostCount++;
    if (missingOn.some((n) => data.get(n)!.has(w.seq))) report.wrongValues++;
    if (report.lost.length < 20) report.lost.push({ seq: w.seq, key: w.key, via: w.member, missingOn });
  }
  const anyRead = lab.memberNames.map((n) => data.get(n)).find((d) => d);
  if (anyRead) for (const seq of anyRead.keys()) if (!opts.acked.has(seq)) report.committedUnacknowledged++;
  if (unread.length > 0) report.problem ??= `could not read the keys back from ${unread.map((n) => `${n} (${whyUnread.get(n) ?? 'no answer'})`).join(', ')}`;
  if (report.lostCount > 0) {
    report.problem = `${report.lostCount} acknowledged write${report.lostCount === 1 ? ' is' : 's are'} missing, e.g. ${report.lost[0]!.key} (acknowledged by ${report.lost[0]!.via}) on ${report.lost[0]!.missingOn.join(', ')}`;
  }
  report.passed = converge.ok && unread.length === 0 && report.lostCount === 0;
  return report;
}

