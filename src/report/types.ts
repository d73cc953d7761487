// PURE. Everything a run's report shows. `etcd-lab chaos --report DIR` saves it as DIR/run.json and renders it
// as DIR/report.html (html.ts); `etcd-lab check DIR` reads it back.
import type { RegisterOperation } from '../check/history.js';
import type { CheckVerdict, Violation } from '../check/verdict.js';

export type { CheckVerdict, Verdict, Violation } from '../check/verdict.js';

export interface ReportFault {
  /** 1-based position in the run. */
  n: number;
  /** kill, pause, partition, delay, drop, ... */
  kind: string;
  members: string[];
  /** Start, ms since the run started; how long it lasted (0 when it was never undone). */
  t: number;
  ms: number;
  /** In words, e.g. "partition m1 | m2,m3 (the leader on the minority side)". */
  text: string;
}

/** The leader as the observer saw it from time `t` on (null: no leader). */
export interface LeaderSample {
  t: number;
  leader: string | null;
  term: number | null;
}

/** One value of one of etcd's Prometheus metrics on one member at time `t`. */
export interface MetricSample {
  t: number;
  member: string;
  /** e.g. etcd_server_leader_changes_seen_total, etcd_server_proposals_committed_total,
   *  etcd_server_proposals_failed_total, etcd_disk_wal_fsync_duration_seconds_sum / _count */
  name: string;
  value: number;
}

export interface RunReport {
  meta: {
    /** Command line or "startCluster()" etc. */
    command: string;
    seed?: number;
    etcdVersion: string;
    members: string[];
    /** ISO time of the run's t = 0. */
    startedAt: string;
    durationMs: number;
  };
  faults: ReportFault[];
  leaders: LeaderSample[];
  operations: RegisterOperation[];
  metrics: MetricSample[];
  verdicts: CheckVerdict[];
  violations: Violation[];
}
