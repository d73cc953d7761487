import { Option, type Command } from 'commander';

/** Options of the commands that plan for several hosts (plan, export). They mirror etcd-lab.yaml keys. */
export function addHostsOptions(cmd: Command): Command {
  return cmd
    .option('--hosts <list>', 'one member per host: 10.0.1.10,10.0.1.11,10.0.1.12 (an entry may name its member: db1=10.0.1.10)')
    .addOption(new Option('--bootstrap <mode>', 'how members of a multi-host plan find each other').choices(['static', 'discovery', 'dns']))
    .option('--discovery-endpoints <urls>', 'discovery bootstrap: client URLs of an existing etcd cluster (comma-separated)')
    .option('--discovery-token <token>', 'discovery bootstrap: the token naming this cluster there (default: the cluster token)')
    .option('--dns-domain <domain>', 'dns bootstrap: the domain whose SRV records list the members (--discovery-srv)')
    .option('--data-dir <dir>', 'multi-host plans: the data dir on each host (default /var/lib/etcd)')
    .option('--pki-dir <dir>', 'multi-host plans with --tls: where the certificates lie on each host (default /etc/etcd/pki)');
}

export interface HostsFlags {
  hosts?: string;
  bootstrap?: 'static' | 'discovery' | 'dns';
  discoveryEndpoints?: string;
  discoveryToken?: string;
  dnsDomain?: string;
  dataDir?: string;
  pkiDir?: string;
}
