// A running `etcd-lab netns up --dir DIR` answers the same control socket as a supervisor, so `etcd-lab member
// replace|list --dir DIR` act on namespace hosts: replace moves a member to another host of the run (new peer URL,
// same member ID and data). The dir holds only the lock and the socket; both go when the run ends.
import { mkdirSync, rmSync } from 'node:fs';
import { LabError } from '../errors.js';
import { faultToleranceOf, quorumOf } from '../plan/count.js';
import { startControlServer, type ControlServer } from './control-server.js';
import type { ListedMember, MemberChange } from './membership.js';
import type { NetnsCluster } from './netns-cluster.js';
import { acquireLock, statePaths } from './state-dir.js';

export interface NetnsControl {
  close(): Promise<void>;
}

function memberArg(args: Record<string, unknown>): string {
  if (typeof args.member !== 'string' || args.member === '') throw new LabError('USAGE', 'which member?');
  return args.member;
}

/** Parses `etcdctl member list -w json`, ids kept exact. */
function parseMemberList(text: string): { ID: string; name: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }[] {
  const start = text.indexOf('{');
  if (start < 0) throw new LabError('MEMBERSHIP', `no member list in: ${text.trim().slice(0, 200)}`);
  return (JSON.parse(text.slice(start).replace(/(":\s*)(\d{15,})/g, '$1"$2"')) as { members: never[] }).members;
}

export async function serveNetnsControl(dir: string, cluster: NetnsCluster): Promise<NetnsControl> {
  mkdirSync(dir, { recursive: true });
  const lock = acquireLock(dir);
  // Membership changes run one after the other, as in the supervisor.
  let changes: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = changes.then(fn, fn);
    changes = run.catch(() => undefined);
    return run;
  };
  const list = async (): Promise<ListedMember[]> => {
    const running = cluster.plan.members.find((m) => cluster.memberState(m.name) === 'running');
    if (!running) throw new LabError('NOT_RUNNING', 'no member of the namespace hosts is running');
    const r = await cluster.ctl(cluster.hostOfMember(running.name), ['--endpoints', running.clientURL, 'member', 'list', '-w', 'json']);
    if (r.code !== 0) throw new LabError('MEMBERSHIP', `member list failed: ${r.stderr.trim()}`);
    const listed = parseMemberList(r.stdout);
    return cluster.plan.members.map((m) => {
      const e = listed.find((x) => x.name === m.name);
      return {
        name: m.name,
        id: e ? BigInt(e.ID).toString(16) : '',
        isLearner: e?.isLearner === true,
        state: `${cluster.memberState(m.name)} on ${cluster.hostOfMember(m.name)}`,
        peerURLs: e?.peerURLs ?? [m.peerURL],
        clientURLs: e?.clientURLs ?? [],
        inPlan: true,
        inEtcd: e !== undefined,
      };
    });
  };
  let server: ControlServer;
  try {
    server = await startControlServer(statePaths(dir).sock, {
      'member.list': () => list(),
      'member.replace': (args, ctx) =>
        oneAtATime(async (): Promise<MemberChange> => {
          const name = memberArg(args);
          if (args.fresh === true) {
            throw new LabError('USAGE', '--fresh is not available on namespace hosts: they move a member with its data', { hint: `etcd-lab member replace ${name} --to <host> --dir ${dir}` });
          }
          if (typeof args.to !== 'string' || args.to === '') {
            const free = cluster.hostsList().filter((h) => h.member === null).map((h) => `${h.host} (${h.address})`);
            throw new LabError('USAGE', `on namespace hosts, replace moves ${name} to another host: name it with --to`, {
              hint: free.length > 0 ? `free hosts: ${free.join(', ')}` : 'start the hosts with a spare: etcd-lab netns up --spares 1',
            });
          }
          const t0 = performance.now();
          const say = (text: string) => ctx.send({ event: 'progress', text });
          const moved = await cluster.moveMember(name, args.to, 30_000, say);
          const m = cluster.plan.members.find((x) => x.name === name)!;
          const n = cluster.plan.members.length;
          return {
            action: 'replace',
            member: name,
            id: moved.id,
            isLearner: false,
            clientURL: m.clientURL,
            peerURL: moved.to,
            previousPeerURL: moved.from,
            members: n,
            voters: n,
            quorum: quorumOf(n),
            faultTolerance: faultToleranceOf(n),
            warnings: [],
            notes: [`now on host ${moved.host} (${m.address}), same member ID and data; every member agrees on a leader`],
            elapsedMs: Math.round(performance.now() - t0),
          };
        }),
    });
  } catch (e) {
    lock.release();
    throw e;
  }
  // Ctrl-C ends the process with process.exit: the lock and the socket go with it.
  const onExit = () => {
    lock.release();
    rmSync(statePaths(dir).sock, { force: true });
  };
  process.on('exit', onExit);
  return {
    async close() {
      process.removeListener('exit', onExit);
      await server.close();
      onExit();
    },
  };
}
