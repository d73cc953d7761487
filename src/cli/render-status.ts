// The status table `etcd-lab status` prints.
import pc from 'picocolors';
import type { MemberState, StatusReport } from '../supervisor/status.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} B`;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${UNITS[u]}`;
}

const HEADERS = ['NAME', 'PID', 'STATE', 'CLIENT URL', 'LEADER', 'TERM', 'INDEX', 'REVISION', 'DB SIZE', 'VERSION'] as const;
const RIGHT_ALIGNED = new Set([1, 5, 6, 7, 8]);

export function renderStatusTable(report: StatusReport, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const stateColor: Record<MemberState, (s: string) => string> = {
    running: c.green,
    starting: c.yellow,
    paused: c.cyan,
    stopped: c.dim,
    exited: c.red,
  };
  const dash = '-';
  const rows = report.members.map((m) => [
    m.name,
    m.pid === null ? dash : String(m.pid),
    m.state,
    m.clientURL,
    m.isLeader ? '*' : m.isLearner ? 'learner' : '',
    m.raftTerm ?? dash,
    m.raftIndex ?? dash,
    m.revision ?? dash,
    m.dbSize === null ? dash : humanBytes(m.dbSize),
    m.version ?? dash,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (text: string, i: number): string =>
    RIGHT_ALIGNED.has(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const line = (cells: string[], paint: (cell: string, i: number) => string): string =>
    cells.map((cell, i) => paint(pad(cell, i), i)).join('  ').trimEnd();

  const out = [line([...HEADERS], (s) => c.bold(s))];
  report.members.forEach((m, k) => {
    out.push(
      line(rows[k]!, (s, i) => {
        if (i === 2) return stateColor[m.state](s);
        if (i === 4 && m.isLeader) return c.bold(c.yellow(s));
        if (i === 4 && m.isLearner) return c.cyan(s);
        if (i === 0 && m.isLeader) return c.bold(s);
        return s;
      }),
    );
  });
  const versions = new Set(report.members.flatMap((m) => (m.version === null ? [] : [m.version])));
  if (report.clusterVersion !== null || versions.size > 1) {
    const mixed = versions.size > 1 ? ` (members run ${[...versions].join(', ')})` : '';
    out.push(`cluster version ${report.clusterVersion ?? 'unknown'}${mixed}`);
  }
  const gp = report.grpcProxy;
  if (gp) out.push(`gRPC proxy ${gp.endpoint} (${gp.state}${gp.pid === null ? '' : `, pid ${gp.pid}`}) -> ${gp.endpoints.length} member${gp.endpoints.length === 1 ? '' : 's'}`);
  return out.join('\n');
}
