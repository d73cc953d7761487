import type { Command } from 'commander';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { ListedMember, MemberChange } from '../../supervisor/membership.js';

interface MemberFlags {
  dir?: string;
  config?: string;
  json?: boolean;
  learner?: boolean;
  fresh?: boolean;
  to?: string;
}

const DONE: Record<MemberChange['action'], string> = { add: 'added', promote: 'promoted', remove: 'removed', replace: 'moved' };
const DONE_FRESH = 'replaced';

/** Sends a membership op to the running supervisor; its progress lines go to stderr, the result is returned. */
async function change(opts: MemberFlags, op: string, args: Record<string, unknown>): Promise<void> {
  const dir = await stateDirFrom(opts);
  const { supervisorFor } = await import('../supervisor-client.js');
  const { info, warn } = await import('../output.js');
  const c = await supervisorFor(dir);
  let r: MemberChange;
  try {
    const stream = c.stream(op, args, (e) => {
      if (e.event === 'progress' && typeof e.text === 'string' && !opts.json) info(e.text);
    });
    r = (await stream.done) as MemberChange;
  } finally {
    c.close();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const role = r.isLearner ? 'learner' : 'voting member';
  const size = `${r.members} member${r.members === 1 ? '' : 's'}${r.voters !== r.members ? ` (${r.voters} voting)` : ''}, quorum ${r.quorum}`;
  const lines = [
    `${r.action === 'replace' && r.previousPeerURL === undefined ? DONE_FRESH : DONE[r.action]} ${r.member}${r.id ? ` (id ${r.id}, ${role})` : ''} in ${r.elapsedMs} ms: ${size}`,
    ...(r.action === 'remove' ? [] : [`  client ${r.clientURL}  peer ${r.previousPeerURL ? `${r.previousPeerURL} -> ` : ''}${r.peerURL}`]),
    ...r.notes.map((n) => `  ${n}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const w of r.warnings) warn(w);
}

function renderList(list: ListedMember[]): string {
  const rows = list.map((m) => [
    m.name || '(unstarted)',
    m.id || '-',
    m.isLearner ? 'learner' : 'voter',
    m.state,
    m.peerURLs.join(','),
    m.clientURLs.join(',') || '-',
    m.inPlan && m.inEtcd ? '' : m.inPlan ? 'not in etcd' : 'not in plan.json',
  ]);
  const head = ['NAME', 'ID', 'ROLE', 'STATE', 'PEER URL', 'CLIENT URL', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[head, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}

export function registerMember(program: Command): void {
  const member = program
    .command('member')
    .description('change the running cluster\'s membership: add, promote, remove, replace, list')
    .addHelpText(
      'after',
      `
Examples:
  $ etcd-lab member add                 # the next member (m4), as a voter; started with --initial-cluster-state existing
  $ etcd-lab member add m4 --learner    # a learner: gets the log, does not vote
  $ etcd-lab member promote m4          # learner -> voter, once it has caught up
  $ etcd-lab member remove m4           # refused when it is the last member or would cost the quorum
  $ etcd-lab member replace m2          # node migration: new peer URL, same member ID and data
  $ etcd-lab member list

The running supervisor makes the change, so etcd's member list, plan.json and state.json agree:
\`etcd-lab down\` then \`etcd-lab up\` brings back the resized cluster.`,
    );

  addDirOptions(
    member
      .command('add')
      .description('add a member (the next <prefix>N unless named) and start it')
      .argument('[name]', 'member name (default: the next one, e.g. m4)')
      .option('--learner', 'add it as a learner (non-voting) member')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab member add\n  $ etcd-lab member add m4 --learner')
    .action(async (name: string | undefined, opts: MemberFlags) =>
      change(opts, 'member.add', { ...(name !== undefined ? { name } : {}), learner: opts.learner === true }),
    );

  addDirOptions(
    member
      .command('promote')
      .description('make a learner a voting member')
      .argument('<name>', 'the learner')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab member promote m4')
    .action(async (name: string, opts: MemberFlags) => change(opts, 'member.promote', { member: name }));

  addDirOptions(
    member
      .command('remove')
      .description('remove a member from the cluster and stop it (its log is kept, its data deleted)')
      .argument('<name>', 'the member')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab member remove m5')
    .action(async (name: string, opts: MemberFlags) => change(opts, 'member.remove', { member: name }));

  addDirOptions(
    member
      .command('replace')
      .description('move a member to a new peer URL (node migration): stop, update, start with the same data and ID; with --fresh: a new member in its place')
      .argument('<name>', 'the member')
      .option('--fresh', 'remove it, delete its data dir, add a new member (new ID) with the same name and ports, wait until it caught up')
      .option('--to <host>', 'namespace hosts (etcd-lab netns up --dir): move it to this free host (s1, or its address 10.77.0.14)')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ etcd-lab member replace m2',
        '  $ etcd-lab member replace m2 --fresh    # a replaced machine: empty data dir, new member ID',
        '  $ sudo etcd-lab netns up --dir /tmp/hosts --spares 1 &     # namespace hosts m1..m3 and a free host s1',
        '  $ sudo etcd-lab member replace m2 --to s1 --dir /tmp/hosts  # m2 moves to s1: new peer URL, same ID and data',
      ].join('\n'),
    )
    .action(async (name: string, opts: MemberFlags) =>
      change(opts, 'member.replace', { member: name, fresh: opts.fresh === true, ...(opts.to !== undefined ? { to: opts.to } : {}) }),
    );

  addDirOptions(
    member
      .command('list')
      .description("etcd's member list next to the plan: IDs, roles, states, URLs")
      .option('--json', 'print the list as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ etcd-lab member list\n  $ etcd-lab member list --json')
    .action(async (opts: MemberFlags) => {
      const dir = await stateDirFrom(opts);
      const { supervisorFor } = await import('../supervisor-client.js');
      const c = await supervisorFor(dir);
      try {
        const list = (await c.request('member.list', {}, 10_000)) as ListedMember[];
        process.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : renderList(list));
      } finally {
        c.close();
      }
    });
}
