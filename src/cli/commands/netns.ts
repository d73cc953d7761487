import { Command, Option } from 'commander';
import { LabError } from '../../errors.js';

interface NetnsFlags {
  nodes?: string;
  bootstrap?: 'static' | 'discovery' | 'dns';
  etcd?: string;
  check?: boolean;
  json?: boolean;
  tls?: boolean;
  dir?: string;
  spares?: string;
}

async function startCluster(opts: NetnsFlags) {
  const { parseMemberCount, checkMemberCount } = await import('../../plan/count.js');
  const { findEtcd } = await import('../../etcd/binary.js');
  const { checkNetnsSupport } = await import('../../supervisor/netns.js');
  const { NetnsCluster } = await import('../../supervisor/netns-cluster.js');
  const { info, warn } = await import('../output.js');
  checkNetnsSupport();
  const nodes = parseMemberCount(opts.nodes ?? '3');
  checkMemberCount(nodes, false);
  const etcd = await findEtcd({ ...(opts.etcd !== undefined ? { flag: opts.etcd } : {}), env: process.env, allowDownload: false });
  info(`making ${nodes} namespace hosts (10.77.0.11-${10 + nodes}) with etcd ${etcd.version.text}, bootstrap ${opts.bootstrap ?? 'static'}${opts.tls ? ', TLS (a certificate per host)' : ''} ...`);
  const t0 = Date.now();
  let current: import('../../supervisor/netns-cluster.js').NetnsCluster | null = null;
  // Ctrl-C or a stop signal at any point removes everything before the process exits.
  const onSignal = (sig: NodeJS.Signals) => {
    if (current) current.net.destroySync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const spares = opts.spares === undefined ? 0 : Number(opts.spares);
  if (!Number.isInteger(spares) || spares < 0 || spares > 9) throw new LabError('USAGE', `--spares ${opts.spares} is not a count from 0 to 9`);
  const cluster = await NetnsCluster.start({ nodes, bootstrap: opts.bootstrap ?? 'static', etcd: { path: etcd.path, version: etcd.version }, spares, ...(opts.tls ? { tls: true } : {}) });
  current = cluster;
  for (const w of cluster.plan.warnings.filter((x) => !/without TLS or authentication/.test(x))) warn(w);
  return { cluster, formedMs: Date.now() - t0 };
}

export function registerNetns(program: Command): void {
  const netns = program
    .command('netns')
    .description('run the multi-host plan on network-namespace hosts (Linux, root): real addresses, kernel-level partitions');
  netns
    .command('up')
    .description('form a cluster on namespace hosts, show it, and keep it until Ctrl-C (everything is removed then)')
    .option('-n, --nodes <count>', 'number of hosts (odd)', '3')
    .addOption(new Option('--bootstrap <mode>', 'static, discovery (a discovery etcd on its own host) or dns (dnsmasq serving the SRV records)').choices(['static', 'discovery', 'dns']).default('static'))
    .option('--etcd <path>', 'etcd binary (default: $ETCD_BIN, PATH, then the download cache)')
    .option('--tls', 'HTTPS with client certificates on both ports; each host gets a certificate for its own address')
    .option('--spares <count>', 'extra hosts with no member (s1, s2, ...): where `member replace --to` can move one', '0')
    .option('--dir <dir>', 'serve `etcd-lab member replace|list --dir <dir>` while it runs (the folder holds only a lock and a socket)')
    .option('--check', 'check the cluster formed, then remove everything and exit')
    .option('--json', 'print the members as JSON')
    .addHelpText('after', '\nExamples:\n  $ sudo etcd-lab netns up --bootstrap dns --etcd ~/.cache/etcd-versions/3.5.30/etcd\n  $ sudo etcd-lab netns up -n 5 --check\n  $ sudo etcd-lab netns up --tls --bootstrap dns --check\n  $ sudo etcd-lab netns up --spares 1 --dir /tmp/hosts   # then: etcd-lab member replace m2 --to s1 --dir /tmp/hosts')
    .action(async (opts: NetnsFlags) => {
      const { printJson } = await import('../output.js');
      if (opts.dir !== undefined) {
        const { checkStateDir } = await import('../../supervisor/state-dir.js');
        checkStateDir(opts.dir);
      }
      const { cluster, formedMs } = await startCluster(opts);
      let control: import('../../supervisor/netns-control.js').NetnsControl | null = null;
      try {
        const all = cluster.plan.members.map((m) => m.name);
        const st = await cluster.status(all);
        const leader = cluster.nameOf(st[0]!.leader, st);
        const rows = cluster.plan.members.map((m) => ({ name: m.name, namespace: cluster.net.nsOf(m.name), address: m.address, peerURL: m.peerURL, clientURL: m.clientURL, leader: m.name === leader }));
        const tls = cluster.plan.tls;
        if (opts.json) printJson({ bootstrap: cluster.plan.bootstrap.mode, etcd: cluster.plan.etcdVersion.text, formedMs, tls: tls ? { ca: tls.caFile, cert: tls.certFile, key: tls.keyFile } : null, members: rows });
        else {
          process.stdout.write(`formed in ${formedMs} ms (bootstrap ${cluster.plan.bootstrap.mode}, etcd ${cluster.plan.etcdVersion.text}); leader ${leader}\n`);
          for (const r of rows) process.stdout.write(`  ${r.name.padEnd(4)} ${r.namespace.padEnd(28)} ${r.address.padEnd(11)} peer ${r.peerURL}${r.leader ? '  (leader)' : ''}\n`);
          const certs = tls ? ` --cacert ${tls.caFile} --cert ${tls.certFile} --key ${tls.keyFile}` : '';
          process.stdout.write(`\ntry: sudo ip netns exec ${rows[0]!.namespace} etcdctl --endpoints ${cluster.plan.endpoints}${certs} endpoint status -w table\n`);
        }
        const free = cluster.hostsList().filter((h) => h.member === null);
        if (!opts.json) for (const h of free) process.stdout.write(`  ${h.host.padEnd(4)} ${cluster.net.nsOf(h.host).padEnd(28)} ${h.address.padEnd(11)} (free host)\n`);
        if (opts.check) return;
        if (opts.dir !== undefined) {
          const { resolve } = await import('node:path');
          const { serveNetnsControl } = await import('../../supervisor/netns-control.js');
          const dir = resolve(opts.dir);
          control = await serveNetnsControl(dir, cluster);
          process.stderr.write(`serving etcd-lab member replace|list --dir ${dir}${free.length > 0 ? ` (e.g. etcd-lab member replace m2 --to ${free[0]!.host} --dir ${dir})` : ''}\n`);
        }
        process.stderr.write('running; Ctrl-C removes the hosts and their data\n');
        await new Promise<void>(() => {});
      } finally {
        await control?.close();
        await cluster.destroy();
      }
    });
  netns
    .command('partition')
    .description('the partition demo on namespace hosts: the leader\'s host loses its link; majority elects and writes, minority refuses')
    .option('-n, --nodes <count>', 'number of hosts (odd)', '3')
    .addOption(new Option('--bootstrap <mode>', 'how the cluster bootstraps').choices(['static', 'discovery', 'dns']).default('static'))
    .option('--etcd <path>', 'etcd binary')
    .option('--tls', 'HTTPS with client certificates, a certificate per host')
    .option('--json', 'print the result as JSON')
    .action(async (opts: NetnsFlags) => {
      const { printJson } = await import('../output.js');
      const { runNetnsPartition } = await import('../../chaos/netns-partition.js');
      const { cluster, formedMs } = await startCluster(opts);
      try {
        const r = await runNetnsPartition(cluster);
        if (opts.json) printJson({ formedMs, ...r });
        else {
          process.stdout.write(`formed in ${formedMs} ms on ${cluster.plan.members.length} namespace hosts\n`);
          for (const s of r.steps) process.stdout.write(`  ${s.ok ? 'ok  ' : 'FAIL'} +${String(s.atMs).padStart(5)} ms  ${s.text}\n`);
          process.stdout.write(r.passed ? 'PASS: the majority kept a leader and took writes; the minority refused\n' : 'FAIL\n');
        }
        if (!r.passed) process.exitCode = 1;
      } finally {
        await cluster.destroy();
      }
    });
  netns
    .command('cleanup')
    .description('remove namespaces left by etcd-lab runs that were killed (only etcdlab-<pid>-... of processes that are gone)')
    .action(async () => {
      const { checkNetnsSupport, sweepStaleNetns } = await import('../../supervisor/netns.js');
      checkNetnsSupport();
      const gone = sweepStaleNetns();
      process.stdout.write(gone.length === 0 ? 'nothing to remove\n' : `removed ${gone.join(', ')}\n`);
    });
}
