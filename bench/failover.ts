// (2) Failover: SIGKILL the leader; when does etcd-lab report the new leader, against the new leader's own
// "became leader" log line (same clock)? Two product paths, watched at once: the election observer (status
// polling + the members' zap logs) and a Cluster.status() poll loop at the library's 20 ms (waitForLeader).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ElectionObserver } from '../src/chaos/observer.js';
import type { TimelineEntry } from '../src/chaos/timeline.js';
import { parseLogLine, raftEvent } from '../src/etcd/zap.js';
import type { Profile } from '../src/plan/types.js';
import { Supervisor } from '../src/supervisor/supervisor.js';
import { attachChaos } from '../src/chaos/attach.js';
import { planFor } from './all-at-once.js';
import { atMost, type Figure } from './figure.js';
import { ensureGone, ROOT } from './hygiene.js';
import { waitQuiet } from './machine.js';
import { portBlock } from './ports.js';
import { waitReady } from './readiness.js';
import { percentile, sleep } from './stats.js';

export interface FailoverOptions {
  profiles: Profile[];
  nodes: number;
  runs: number;
  log: (s: string) => void;
}

const STATUS_POLL_MS = 20;

/** The ms timestamp of `member`'s first "became leader" line at a term above `aboveTerm`. */
async function electedAt(logFile: string, aboveTerm: number): Promise<{ at: number; term: number }> {
  for (let i = 0; i < 100; i++) {
    const text = readFileSync(logFile, 'utf8');
    for (const l of text.split('\n')) {
      const p = parseLogLine(l);
      const ev = p ? raftEvent(p) : null;
      if (ev?.kind === 'became-leader' && (ev.term ?? 0) > aboveTerm) return { at: ev.at.getTime(), term: ev.term ?? 0 };
    }
    await sleep(20);
  }
  throw new Error(`no "became leader" line above term ${aboveTerm} in ${logFile}`);
}

interface Sample {
  election: number;
  observerLag: number;
  pollLag: number;
}

async function oneProfile(o: FailoverOptions, profile: Profile): Promise<Sample[]> {
  const cwd = join(ROOT, `failover-${profile}`);
  const dir = join(cwd, 'lab');
  const { plan, etcdPath } = await planFor({ nodes: o.nodes, profile, dir, portBase: await portBlock() });
  const sup = await Supervisor.open({ dir, plan, etcdPath, etcdVersion: plan.etcdVersion.text, restart: 'on-failure', readyTimeoutMs: 60_000 });
  const chaos = attachChaos(sup);
  const endpoints = plan.members.map((m) => m.clientURL);
  const samples: Sample[] = [];
  let obs: ElectionObserver | null = null;
  try {
    await sup.start();
    obs = new ElectionObserver(chaos.lab);
    await obs.start();
    for (let i = 0; i < o.runs; i++) {
      await waitReady(endpoints, { timeoutMs: 30_000 });
      await waitQuiet();
      const before = await obs.waitLeader({ withinMs: 10_000 });
      if (!before) throw new Error('the observer sees no leader before the kill');
      const old = before.name;
      const oldTerm = before.term;
      let seenByObserver: { at: number; name: string } | null = null;
      const onEntry = (e: TimelineEntry): void => {
        if (!seenByObserver && e.kind === 'leader-elected' && e.member !== old) seenByObserver = { at: Date.now(), name: e.member! };
      };
      obs.on('entry', onEntry);
      let seenByPoll: number | null = null;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const l = (await sup.cluster.status()).leader;
          if (l && l !== old) {
            seenByPoll = Date.now();
            return;
          }
          await sleep(STATUS_POLL_MS);
        }
      })();
      obs.faultStarting({ action: 'kill', members: [old] });
      const killedAt = Date.now();
      sup.cluster.killMember(old, 'SIGKILL');
      obs.recordFault(`kill ${old}`);
      const deadline = Date.now() + 20_000;
      while ((!seenByObserver || seenByPoll === null) && Date.now() < deadline) await sleep(2);
      polling = false;
      await poll;
      obs.off('entry', onEntry);
      const seen = seenByObserver as { at: number; name: string } | null;
      if (!seen || seenByPoll === null) throw new Error(`no new leader reported within 20 s after killing ${old}`);
      const elected = await electedAt(sup.cluster.logFile(seen.name), oldTerm);
      samples.push({ election: elected.at - killedAt, observerLag: seen.at - elected.at, pollLag: seenByPoll - elected.at });
      await sup.cluster.startMember(old);
    }
  } finally {
    await obs?.stop();
    await sup.shutdown(1000);
    await ensureGone(cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
  return samples;
}

export async function benchFailover(o: FailoverOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const profile of o.profiles) {
    const s = await oneProfile(o, profile);
    o.log(
      `  failover ${profile} n=${o.nodes}: kill->elected ${s.map((x) => x.election).join(' ')} | observer lag ${s.map((x) => x.observerLag).join(' ')} | status-poll lag ${s.map((x) => x.pollLag).join(' ')}`,
    );
    const base = (p: number): Figure['baseline'] => ({ label: "etcd's own election (kill -> log line)", value: percentile(s.map((x) => x.election), p), unit: 'ms' });
    for (const p of [50, 95] as const) {
      const obsLag = percentile(s.map((x) => x.observerLag), p);
      const pollLag = percentile(s.map((x) => x.pollLag), p);
      const b = base(p)!;
      figures.push({
        section: 'failover',
        name: `failover.${profile}.n${o.nodes}.observer-lag.p${p}`,
        value: obsLag,
        unit: 'ms',
        baseline: b,
        ratio: { value: obsLag / b.value, text: `${((100 * obsLag) / b.value).toFixed(1)} % of the election itself` },
        ...(p === 95 ? { target: atMost(obsLag, 50, '<= 50 ms after the log line') } : {}),
      });
      figures.push({
        section: 'failover',
        name: `failover.${profile}.n${o.nodes}.status-poll-lag.p${p}`,
        value: pollLag,
        unit: 'ms',
        baseline: b,
        ratio: { value: pollLag / b.value, text: `${((100 * pollLag) / b.value).toFixed(1)} % of the election itself` },
        note: `Cluster.status() every ${STATUS_POLL_MS} ms (the library's waitForLeader)`,
      });
      figures.push({
        section: 'failover',
        name: `failover.${profile}.n${o.nodes}.election.p${p}`,
        value: b.value,
        unit: 'ms',
        note: 'SIGKILL -> the new leader\'s "became leader" line: etcd itself, for context',
      });
    }
  }
  return figures;
}
