// (8) A long chaos run per etcd version: `etcd-lab chaos --seed N` on 5 members for 10 minutes, every operation
// recorded, then the saved run checked again by `etcd-lab check DIR` (the time a user waits for a verdict).
// Versions: every subfolder of $ETCD_VERSIONS_DIR holding an executable `etcd` (as scripts/test-versions.mjs finds
// them) with the default faults, and the etcd on PATH with the pause-heavy schedule (`--faults pause`, 3 minutes).
// 32 clients on 30 register keys: the checker's cost per key grows with its operations and how many overlap.
// Opt-in: `npm run bench -- --only long-chaos` (about 11 minutes a version); LONG_CHAOS_DURATION=2m to try it out.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, REPO, runTimed, show } from './cli.js';
import { atLeast, atMost, type Figure } from './figure.js';
import { ROOT } from './hygiene.js';

export interface LongChaosOptions {
  duration: string;
  /** The pause-heavy run on the etcd on PATH. */
  pauseDuration: string;
  seed: number;
  log: (s: string) => void;
}

interface Target {
  label: string;
  etcd: string;
  faults: string | null;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionOf(etcd: string): string {
  const out = spawnSync(etcd, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

function targets(): Target[] {
  const found: Target[] = [];
  const root = process.env.ETCD_VERSIONS_DIR;
  if (root && existsSync(root)) {
    for (const d of readdirSync(root).sort()) {
      const etcd = join(root, d, 'etcd');
      if (executable(etcd)) found.push({ label: versionOf(etcd), etcd, faults: null });
    }
  }
  const onPath = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) found.push({ label: `${versionOf(onPath)} pause-heavy`, etcd: onPath, faults: 'pause' });
  return found;
}

interface ChaosJson {
  etcdVersion: string;
  passed: boolean;
  faults: unknown[];
  elections: number;
  workload: { operations: { ok: number; fail: number; unknown: number }; opsPerSecond: number };
  verdicts: { name: string; verdict: string; detail: string }[];
  violations: unknown[];
}

interface CheckLine {
  verdict: string;
  operations: number;
  ms: number;
}

export async function benchLongChaos(o: LongChaosOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const runs = targets();
  if (runs.length === 0) throw new Error('no etcd on PATH and no $ETCD_VERSIONS_DIR/<version>/etcd');
  for (const t of runs) {
    const dir = join(ROOT, `long-chaos-${t.label.replace(/\W+/g, '-')}`);
    const args = ['chaos', '--seed', String(o.seed), '--duration', t.faults ? o.pauseDuration : o.duration, '-n', '5', '--clients', '32', '--keys', '30', '--rate', '300', '--etcd', t.etcd, '--report', dir, '--json'];
    if (t.faults) args.push('--faults', t.faults);
    o.log(`long-chaos: etcd-lab ${args.join(' ')}`);
    const run = await runTimed(process.execPath, [BIN, ...args], { cwd: REPO, timeoutMs: 3 * 3600_000 });
    if (run.code !== 0 && run.code !== 1 && run.code !== 4) throw new Error(`etcd-lab chaos (${t.label}): ${show(run).slice(-2000)}`);
    let r: ChaosJson;
    try {
      r = JSON.parse(run.stdout) as ChaosJson;
    } catch {
      throw new Error(`etcd-lab chaos (${t.label}) printed no report (exit ${run.code}${run.signal ? `, ${run.signal}` : ''}):\n${run.stderr.split('\n').slice(-30).join('\n')}`);
    }
    const ops = r.workload.operations;
    const total = ops.ok + ops.fail + ops.unknown;
    const lin = r.verdicts.find((v) => v.name === 'linearizability');
    o.log(`long-chaos ${t.label}: exit ${run.code}, ${total} operations (${ops.ok} ok, ${ops.fail} failed, ${ops.unknown} unknown; ${r.workload.opsPerSecond}/s), ${r.faults.length} faults, ${r.elections} elections; ${r.verdicts.map((v) => `${v.name}: ${v.verdict}`).join('; ')}`);
    for (const v of r.verdicts) if (v.verdict !== 'passed' && v.verdict !== 'linearizable') o.log(`long-chaos ${t.label}: ${v.name}: ${v.verdict}: ${v.detail}`);
    // The user's second look: the saved run checked again from its folder, by the CLI, node start included.
    const check = await runTimed(process.execPath, [BIN, 'check', '--json', '--budget', '5m', dir], { cwd: REPO, timeoutMs: 10 * 60_000 });
    const lines = check.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as CheckLine);
    const history = lines[0];
    if (!history) throw new Error(`etcd-lab check ${dir}: ${show(check)}`);
    o.log(`long-chaos ${t.label}: etcd-lab check DIR: exit ${check.code}, ${history.verdict}, ${history.operations} operations, ${history.ms} ms in the checker, ${Math.round(check.wallMs)} ms wall`);
    const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { operations: unknown[] };
    const note = `etcd ${r.etcdVersion}, ${t.faults ? o.pauseDuration : o.duration}, seed ${o.seed}, ${t.faults ? `faults ${t.faults}` : 'default faults'}; ${r.faults.length} faults, ${r.elections} elections`;
    const key = t.label.replace(/ .*/, '') + (t.faults ? `.${t.faults}` : '');
    figures.push(
      { section: 'long-chaos', name: `long-chaos.${key}.operations`, value: total, unit: 'ops', ...(t.faults ? {} : { target: atLeast(total, 50_000, '>= 50,000 operations') }), note: `${note}; ${runJson.operations.length} in run.json` },
      { section: 'long-chaos', name: `long-chaos.${key}.check`, value: check.wallMs, unit: 'ms', target: atMost(check.wallMs, 30_000, '<= 30 s'), note: `\`etcd-lab check DIR\`: ${history.verdict}, linearizability ${history.ms} ms of it, plus the five watch checks; during the run: ${lin?.detail ?? 'no linearizability verdict'}` },
      { section: 'long-chaos', name: `long-chaos.${key}.violations`, value: r.violations.length, unit: 'count', ...(t.faults ? {} : { target: atMost(r.violations.length, 0, '0 violations') }), note: r.verdicts.map((v) => `${v.name} ${v.verdict}`).join(', ') },
    );
  }
  return figures;
}
