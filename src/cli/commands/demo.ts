import { Option, type Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { LabError } from '../../errors.js';
import type { ScenarioReport } from '../../chaos/runner.js';

interface DemoFlags {
  file?: string;
  nodes?: string;
  json?: boolean;
  keep?: boolean;
  ports?: string;
  etcd?: string;
  netns?: boolean;
  partitionMode?: 'link' | 'drop';
  tls?: boolean;
}

export const DEMOS = ['failover', 'partition'] as const;

/** examples/ of the package (the same depth from src/ and dist/). A file path, decoded: the package may sit in a path with spaces. */
export function examplesDir(moduleURL: string = import.meta.url): string {
  return fileURLToPath(new URL('../../../examples/', moduleURL));
}

async function loadScenarioFile(path: string) {
  const { readFileSync } = await import('node:fs');
  const { parseScenario } = await import('../../chaos/scenario.js');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LabError('USAGE', `cannot read the scenario ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: `copy one of the examples to start from: ${examplesDir()}failover.yaml`,
    });
  }
  return parseScenario(text, path);
}

function renderReport(r: ScenarioReport, summaryLines: string[]): string {
  const out: string[] = [];
  const failed = r.claims.filter((c) => !c.ok).length;
  const verdict = r.passed ? 'PASS' : 'FAIL';
  const why = r.interrupted
    ? 'interrupted'
    : r.error
      ? `step ${r.error.step} could not run`
      : failed > 0
        ? `${failed} of ${r.claims.length} claims failed`
        : `${r.claims.length} claims held`;
  out.push(`${r.scenario}: ${verdict} (${why})`);
  for (const c of r.claims) out.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.claim}: ${c.detail}`);
  if (r.error) {
    out.push(`  ERROR ${r.error.where}: ${r.error.message.replace(`${r.error.where}: `, '')}`);
    if (r.error.hint) out.push(`        hint: ${r.error.hint}`);
  }
  if (r.skipped > 0) out.push(`  (${r.skipped} step${r.skipped === 1 ? '' : 's'} not run)`);
  for (const l of summaryLines) out.push(l);
  return `${out.join('\n')}\n`;
}

/**
 * The demo's cluster on network-namespace hosts (Linux, root): static bootstrap, fast profile, a client relay per
 * host; the scenario's partitions are the kernel's. Every path out removes the hosts (their exit hook included).
 */
async function startNetnsDemoCluster(nodes: number, opts: DemoFlags) {
  const { checkNetnsSupport, checkIptables } = await import('../../supervisor/netns.js');
  const { NetnsCluster } = await import('../../supervisor/netns-cluster.js');
  const { NetnsLab } = await import('../../chaos/netns-lab.js');
  const { findEtcd } = await import('../../etcd/binary.js');
  const { info } = await import('../output.js');
  checkNetnsSupport();
  const mode = opts.partitionMode ?? 'link';
  if (mode === 'drop') checkIptables();
  const etcd = await findEtcd({ ...(opts.etcd !== undefined ? { flag: opts.etcd } : {}), env: process.env, allowDownload: false });
  info(`making ${nodes} namespace hosts (10.77.0.11-${10 + nodes}) with etcd ${etcd.version.text}${opts.tls ? ', TLS' : ''} ...`);
  const c = await NetnsCluster.start({ nodes, bootstrap: 'static', etcd: { path: etcd.path, version: etcd.version }, ...(opts.tls ? { tls: true } : {}) });
  try {
    await c.startRelays();
  } catch (e) {
    await c.destroy();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    lab: new NetnsLab(c, mode, c.clientTls()),
    dir: c.net.dir,
    etcdVersion: etcd.version.text,
    where: `network-namespace hosts, partitions by ${mode === 'link' ? 'bridge ports (ip link set master)' : 'iptables DROP rules'}`,
    close: (_graceMs?: number) => (closing ??= c.destroy()),
  };
}

async function demo(name: string | undefined, opts: DemoFlags): Promise<number> {
  const { join } = await import('node:path');
  const { didYouMean } = await import('../../plan/suggest.js');
  if (name !== undefined && opts.file !== undefined) {
    throw new LabError('USAGE', `give a demo name or --file, not both (got "${name}" and --file ${opts.file})`);
  }
  if (name === undefined && opts.file === undefined) {
    throw new LabError('USAGE', 'which demo?', { hint: `etcd-lab demo ${DEMOS.join(' | ')}, or etcd-lab demo --file my-scenario.yaml` });
  }
  if (name !== undefined && !(DEMOS as readonly string[]).includes(name)) {
    throw new LabError('USAGE', `there is no demo "${name}"${didYouMean(name, DEMOS)}`, {
      hint: `demos: ${DEMOS.join(', ')}; run your own scenario with --file`,
    });
  }
  const scenario = await loadScenarioFile(opts.file ?? join(examplesDir(), `${name}.yaml`));
  let nodes = scenario.members;
  if (opts.nodes !== undefined) {
    const { parseMemberCount } = await import('../../plan/count.js');
    nodes = parseMemberCount(opts.nodes);
  }
  const { info, warn, printJson } = await import('../output.js');
  if (nodes !== scenario.members) warn(`${scenario.name} is written for ${scenario.members} members; running it on ${nodes}`);

  const { onInterrupt, showLive, startThrowawayCluster } = await import('../throwaway-cluster.js');
  if (opts.netns && opts.keep) throw new LabError('USAGE', '--keep is for one-machine demos: namespace hosts and their data are always removed');
  if (!opts.netns && opts.partitionMode !== undefined) throw new LabError('USAGE', '--partition-mode chooses how namespace hosts are cut apart: it needs --netns');
  const cluster = opts.netns
    ? await startNetnsDemoCluster(nodes, opts)
    : await startThrowawayCluster({
        nodes,
        label: 'demo',
        ...(opts.ports !== undefined ? { ports: opts.ports } : {}),
        ...(opts.etcd !== undefined ? { etcd: opts.etcd } : {}),
        ...(opts.keep ? { keep: true } : {}),
      });
  const abort = new AbortController();
  const offSignals = onInterrupt(abort, () => void cluster.close(0));
  const { ElectionObserver } = await import('../../chaos/observer.js');
  const { runScenario } = await import('../../chaos/runner.js');
  const { renderSummary } = await import('../../chaos/timeline.js');
  let report: ScenarioReport;
  try {
    info(
      `${scenario.name}: ${scenario.description ?? scenario.file} — ${nodes} members (etcd ${cluster.etcdVersion}, fast profile, ${'where' in cluster ? cluster.where : 'chaos mode'}) in ${cluster.dir}${'ready' in cluster ? `, ready in ${cluster.ready.elapsedMs} ms` : ''}`,
    );
    const obs = new ElectionObserver(cluster.lab);
    await showLive(obs);
    await obs.start();
    try {
      report = await runScenario(scenario, cluster.lab, obs, { signal: abort.signal });
    } finally {
      await obs.stop();
    }
  } finally {
    await cluster.close();
    offSignals();
  }
  if (opts.keep) info(`kept ${cluster.dir} (data and logs)`);
  if (opts.json) {
    printJson({ demo: name ?? null, etcdVersion: cluster.etcdVersion, dir: opts.keep ? cluster.dir : null, hosts: 'where' in cluster ? cluster.where : 'one machine (chaos mode)', ...report });
  } else {
    process.stdout.write(renderReport(report, renderSummary(report.summary)));
  }
  if (report.interrupted) return 130;
  return report.passed ? 0 : 1;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a throw-away 3- or 5-member cluster, break it on purpose and check what Raft promises (exit 1 if a claim fails)')
    .argument('[name]', `a built-in scenario: ${DEMOS.join(' or ')}`)
    .option('-f, --file <scenario.yaml>', 'run your own scenario file instead (see examples/*.yaml)')
    .option('-n, --nodes <count>', 'number of members (default: what the scenario is written for)')
    .option('--json', 'print the report (claims, timeline, summary) as JSON on stdout')
    .option('--keep', 'keep the temp dir with the members\' data and logs afterwards')
    .option('--ports <layout>', 'auto (free ports) or a base port number', 'auto')
    .option('--etcd <path>', 'etcd binary (default: $ETCD_BIN, PATH, then the download cache)')
    .option('--netns', 'run it on network-namespace hosts (Linux, root): real addresses, partitions by the kernel instead of proxies')
    .addOption(new Option('--partition-mode <mode>', 'with --netns: link (hosts moved to a bridge of their own) or drop (iptables DROP rules in each host)').choices(['link', 'drop']))
    .option('--tls', 'with --netns: HTTPS with client certificates, a certificate per host')
    .addHelpText(
      'after',
      `
Demos:
  failover   3 members: kill the leader (SIGKILL) -> a new leader within 5 s -> a write succeeds ->
             restart the old leader -> it rejoins as a follower with the same revision as the others
  partition  5 members: partition 2|3 with the leader on the 2 side -> the 3 side elects a new leader;
             writes and linearizable reads succeed there and fail or time out on the 2 side ->
             heal -> every member reports the same revision and the same hash

The live timeline goes to stderr; the verdict (PASS/FAIL per claim) to stdout. Each demo starts its own
cluster in a fresh temp dir and removes it afterwards, on every path out (Ctrl-C included).

Examples:
  $ etcd-lab demo failover
  $ etcd-lab demo partition --json > report.json
  $ sudo etcd-lab demo partition --netns                        # the same demo, partitioned by the kernel
  $ sudo etcd-lab demo partition --netns --partition-mode drop  # ... by iptables DROP rules in each host
  $ etcd-lab demo --file my-scenario.yaml -n 5

Write your own scenario: start from a copy of ${examplesDir()}partition.yaml`,
    )
    .action(async (name: string | undefined, opts: DemoFlags) => {
      process.exitCode = await demo(name, opts);
    });
}
