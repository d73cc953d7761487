// Decides what `up` runs in a state dir: the stored cluster (with its data) or a new plan. No terminal I/O.
import { existsSync, truncateSync } from 'node:fs';
import { resolve } from 'node:path';
import { LabError } from '../errors.js';
import { preparePlan } from '../prepare.js';
import type { ResolvedSettings, Settings } from '../plan/settings.js';
import type { ClusterPlan, EtcdVersion } from '../plan/types.js';
import { shellQuote } from '../plan/quote.js';
import { ensurePki } from './pki.js';
import { membersWithData, ownedFiles, removeOwned } from './owned-files.js';
import { checkPortsFree } from './ports.js';
import { reapStale } from './reap.js';
import { checkStateDir, liveSupervisor, readJson, statePaths } from './state-dir.js';

export interface UpRequest {
  settings: ResolvedSettings;
  /** Which settings the user gave explicitly (flags or file): those must agree with a stored cluster. */
  given: ReadonlySet<keyof Settings>;
  fresh: boolean;
  /** Asked before deleting data with --fresh; false cancels. Absent: nobody to ask, so --fresh is refused. */
  confirmFresh?: (what: string) => Promise<boolean>;
  onDownloadProgress?: (p: { received: number; total: number | null }) => void;
  onNote?: (text: string) => void;
}

export interface UpPlan {
  dir: string;
  plan: ClusterPlan;
  etcd: { path: string; version: EtcdVersion };
  /** True when the stored cluster is brought back with its data. */
  resumed: boolean;
}

function mismatch(dir: string, what: string): LabError {
  return new LabError('DIR_MISMATCH', `${dir} holds ${what}`, {
    hint: `run it as it is (drop the flags that differ), start over with --fresh (deletes its data), or use another --dir`,
  });
}

/**
 * Compares what the user asked for with the cluster stored in the dir (DIR_MISMATCH where a setting they gave differs):
 * `up` resuming it, and `plan` and `procfile` showing it.
 */
export function checkCompatible(dir: string, stored: ClusterPlan, req: Pick<UpRequest, 'settings' | 'given'>, fresh: ClusterPlan | null): void {
  const s = req.settings.spec;
  const names = stored.members.map((m) => m.name);
  const desc = `a ${names.length}-member cluster (${names.join(', ')}) with data`;
  if (req.given.has('nodes') && s.nodes !== names.length) throw mismatch(dir, `${desc}; you asked for ${s.nodes} members`);
  if (fresh && (req.given.has('namePrefix') || req.given.has('names'))) {
    const want = fresh.members.map((m) => m.name);
    if (want.join(',') !== names.join(',')) throw mismatch(dir, `${desc}; you asked for ${want.join(', ')}`);
  }
  if (req.given.has('chaos') && s.chaos !== stored.chaos) {
    throw new LabError('DIR_MISMATCH', `${dir} holds a cluster created ${stored.chaos ? 'with' : 'without'} --chaos; its peer URLs cannot change in place`, {
      hint: `start it over with chaos ${s.chaos ? 'on' : 'off'}: etcd-lab up --fresh${s.chaos ? ' --chaos' : ''} --dir ${shellQuote(dir)}`,
    });
  }
  if (req.given.has('tls') && (s.tls === true) !== (stored.tls !== undefined)) {
    throw new LabError('DIR_MISMATCH', `${dir} holds a cluster created ${stored.tls ? 'with' : 'without'} --tls; its client and peer URLs cannot change scheme in place`, {
      hint: `start it over ${s.tls ? 'with' : 'without'} TLS: etcd-lab up --fresh${s.tls ? ' --tls' : ''} --dir ${shellQuote(dir)}, or drop ${s.tls ? '--tls' : 'tls: false'} to run it as it is`,
    });
  }
  if (req.given.has('host') && s.host !== stored.host) throw mismatch(dir, `${desc} on ${stored.host}; you asked for ${s.host}`);
  // Ports and timing are in the members' stored arguments (and the ports in the members' peer URLs, which the data
  // remembers): a resumed cluster runs as it was made, so other ones asked for are refused, not silently dropped.
  if (fresh && req.given.has('ports') && s.ports.kind !== 'auto') {
    // Port numbers only (the URLs also carry the scheme of a TLS cluster and the host of a chaos one), of the members
    // both plans name (`member add` and `remove` change the stored set).
    const port = (url: string): string => new URL(url).port;
    const differs = fresh.members.filter((m) => {
      const was = stored.members.find((x) => x.name === m.name);
      return was !== undefined && (port(was.clientURL) !== port(m.clientURL) || port(was.peerURL) !== port(m.peerURL));
    });
    if (differs.length > 0) {
      const ports = (p: ClusterPlan): string => p.members.filter((m) => differs.some((d) => d.name === m.name)).map((m) => `${m.name} ${port(m.clientURL)}/${port(m.peerURL)}`).join(', ');
      throw mismatch(dir, `${desc} on client/peer ports ${ports(stored)}; you asked for ${ports(fresh)}`);
    }
  }
  const timing = (p: ClusterPlan): string => `heartbeat ${p.heartbeatInterval} ms, election timeout ${p.electionTimeout} ms`;
  if (fresh && (req.given.has('profile') || req.given.has('heartbeatInterval') || req.given.has('electionTimeout')) && timing(fresh) !== timing(stored)) {
    throw mismatch(dir, `${desc} with the ${stored.profile} profile (${timing(stored)}); you asked for ${timing(fresh)}`);
  }
}

export async function prepareUp(req: UpRequest): Promise<UpPlan> {
  const dir = resolve(req.settings.spec.dir);
  checkStateDir(dir);
  const paths = statePaths(dir);
  const live = liveSupervisor(dir);
  if (live) {
    throw new LabError('DIR_IN_USE', `a cluster is already running in ${dir} (supervisor pid ${live.pid})`, {
      hint: `see it with \`etcd-lab status --dir ${shellQuote(dir)}\`, stop it with \`etcd-lab down --dir ${shellQuote(dir)}\`, or use another --dir`,
    });
  }
  const reaped = await reapStale(dir, { scan: 'if-data' });
  for (const r of reaped) req.onNote?.(`reaped ${r.name ?? 'a member'} (pid ${r.pid}) left running by a supervisor that died`);

  let withData = membersWithData(paths.data);
  if (req.fresh && (withData.length > 0 || existsSync(paths.plan))) {
    const doomed = ownedFiles(dir, paths, '--fresh');
    const what = `${paths.data} (${withData.length} member${withData.length === 1 ? '' : 's'} with data)`;
    if (!req.confirmFresh) {
      throw new LabError('USAGE', `--fresh would delete ${what}, and there is no terminal to ask for a yes`, {
        hint: `pass --yes to delete it without asking: etcd-lab up --fresh --yes --dir ${shellQuote(dir)}`,
      });
    }
    if (!(await req.confirmFresh(what))) {
      throw new LabError('USAGE', 'cancelled: nothing was deleted', { exitCode: 1 });
    }
    removeOwned(paths, doomed);
    // Emptied, not deleted: `up -d` has already handed this file to the background supervisor it started.
    if (existsSync(paths.supervisorLog)) truncateSync(paths.supervisorLog);
    withData = [];
  }

  const settings: ResolvedSettings = { ...req.settings, spec: { ...req.settings.spec, dir } };
  const prepared = await preparePlan(settings, {
    needBinary: true,
    allowDownload: true,
    ...(req.onDownloadProgress ? { onDownloadProgress: req.onDownloadProgress } : {}),
  });
  const etcd = prepared.etcd!;
  let plan = prepared.plan;
  let resumed = false;

  if (withData.length > 0) {
    if (!existsSync(paths.plan)) {
      throw new LabError('DIR_MISMATCH', `${paths.data} holds etcd data (${withData.join(', ')}) but no plan.json: etcd-lab cannot tell which cluster it belongs to`, {
        hint: `start over with --fresh (deletes that data), or use another --dir`,
      });
    }
    const stored = readJson<ClusterPlan>(paths.plan);
    const foreign = withData.filter((n) => !stored.members.some((m) => m.name === n));
    if (foreign.length > 0) {
      throw new LabError('DIR_MISMATCH', `${paths.data} holds data of members that are not in its plan: ${foreign.join(', ')}`, {
        hint: 'start over with --fresh, or use another --dir',
      });
    }
    checkCompatible(dir, stored, req, plan);
    const own = stored.members.filter((m) => m.etcdPath !== undefined && m.etcdPath !== etcd.path);
    if (own.length > 0) {
      const runs = [...new Set(own.map((m) => `etcd ${m.etcdVersion?.text ?? '?'} (${m.etcdPath})`))].join(', ');
      req.onNote?.(`${own.map((m) => m.name).join(', ')} ${own.length === 1 ? 'runs' : 'run'} ${runs}, the binary \`etcd-lab upgrade\` gave ${own.length === 1 ? 'it' : 'them'}`);
    } else if (stored.etcdVersion.major !== etcd.version.major || stored.etcdVersion.minor !== etcd.version.minor) {
      req.onNote?.(`the cluster was created with etcd ${stored.etcdVersion.text}; running it with ${etcd.version.text}`);
    }
    plan = stored;
    resumed = true;
  }
  await checkPortsFree(plan);
  const pki = await ensurePki(plan);
  if (pki.made.length > 0) {
    req.onNote?.(`made ${pki.made.includes('CA') ? 'a CA, a client certificate and member certificates' : `certificates for ${pki.made.join(', ')}`} in ${pki.dir}`);
  }
  return { dir, plan, etcd, resumed };
}
