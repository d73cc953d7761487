import type { Command } from 'commander';
import { LabError } from '../../errors.js';
import { shellQuote } from '../../plan/quote.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { FaultResult, Lab } from '../../chaos/lab.js';

interface FaultFlags {
  dir?: string;
  config?: string;
  json?: boolean;
  seed?: string;
  signal?: string;
  jitter?: string;
  ring?: boolean;
}

const TARGET_HELP = 'member name, or leader | follower | random | quorum | all';

async function withLab(opts: FaultFlags, fn: (lab: Lab, names: readonly string[]) => Promise<FaultResult>): Promise<void> {
  const dir = await stateDirFrom(opts);
  const { liveSupervisor } = await import('../../supervisor/state-dir.js');
  if (!liveSupervisor(dir)) {
    throw new LabError('NOT_RUNNING', `no etcd-lab supervisor is running for ${dir}`, {
      hint: `start it with etcd-lab up -d --dir ${shellQuote(dir)} (process faults work on any cluster; network faults need one created with --chaos)`,
    });
  }
  const { refuseProcfileRunner } = await import('../refuse-procfile-runner.js');
  refuseProcfileRunner(dir, 'fault injection');
  const { RemoteLab } = await import('../../chaos/remote-lab.js');
  const lab = await RemoteLab.connect(dir);
  try {
    const r = await fn(lab, lab.memberNames);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const who = r.members.length > 0 ? r.members.join(', ') : 'nothing';
    process.stdout.write(`${r.action}: ${who}\n`);
    if (r.note) process.stdout.write(`note: ${r.note}\n`);
    if (r.links) process.stdout.write(r.links.length === 0 ? 'links: all open\n' : `links:\n${r.links.map((l) => `  ${l}\n`).join('')}`);
  } finally {
    lab.close();
  }
}

function seed(opts: FaultFlags): { seed?: number } {
  if (opts.seed === undefined) return {};
  if (!/^\d+$/.test(opts.seed)) throw new LabError('USAGE', `--seed must be a whole number, got "${opts.seed}"`);
  return { seed: Number(opts.seed) };
}

/** A member name, or a target word that must pick exactly one member. */
async function oneMember(lab: Lab, names: readonly string[], target: string, what: string, opts: FaultFlags): Promise<string> {
  if (names.includes(target)) return target;
  const { resolveTarget, seededRandom } = await import('../../chaos/targets.js');
  const s = seed(opts).seed;
  const picked = resolveTarget(target, await lab.status(), s === undefined ? Math.random : seededRandom(s));
  if (picked.length !== 1) throw new LabError('BAD_TARGET', `${what} takes one member or one link, and "${target}" is ${picked.length}`);
  return picked[0]!;
}

function faultCommand(program: Command, name: string, description: string, examples: string[]): Command {
  return addDirOptions(program.command(name).description(description).option('--json', 'print the result as JSON')).addHelpText(
    'after',
    `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`,
  );
}

export function registerFaults(program: Command): void {
  faultCommand(program, 'kill', 'kill members: SIGKILL is a crash (re-election by timeout), SIGTERM a graceful stop', [
    'etcd-lab kill leader                # crash the leader: watch the others elect a new one',
    'etcd-lab kill m2 --signal TERM',
    'etcd-lab kill quorum                # lose the majority: writes stop',
    'etcd-lab kill random --seed 7',
  ])
    .argument('<target>', TARGET_HELP)
    .option('--signal <signal>', 'KILL or TERM', 'KILL')
    .option('--seed <n>', 'seed for random/follower/quorum choices')
    .action(async (target: string, opts: FaultFlags) => {
      const sig = (opts.signal ?? 'KILL').toUpperCase().replace(/^SIG/, '');
      if (sig !== 'KILL' && sig !== 'TERM') {
        throw new LabError('USAGE', `--signal must be KILL or TERM, got "${opts.signal}"`, { hint: 'use etcd-lab pause/resume for SIGSTOP/SIGCONT' });
      }
      await withLab(opts, (lab) => lab.kill(target, { signal: sig === 'KILL' ? 'SIGKILL' : 'SIGTERM', ...seed(opts) }));
    });

  faultCommand(program, 'pause', 'freeze members with SIGSTOP (they stop answering, like a hung machine)', ['etcd-lab pause leader'])
    .argument('<target>', TARGET_HELP)
    .option('--seed <n>', 'seed for random choices')
    .action(async (target: string, opts: FaultFlags) => withLab(opts, (lab) => lab.pause(target, seed(opts))));

  faultCommand(program, 'resume', 'continue paused members (SIGCONT)', ['etcd-lab resume m1', 'etcd-lab resume all'])
    .argument('<target>', TARGET_HELP)
    .action(async (target: string, opts: FaultFlags) => withLab(opts, (lab) => lab.resume(target)));

  faultCommand(program, 'restart', 'start members that are down and restart running ones', ['etcd-lab restart all', 'etcd-lab restart m2'])
    .argument('<target>', TARGET_HELP)
    .action(async (target: string, opts: FaultFlags) => withLab(opts, (lab) => lab.restart(target)));

  faultCommand(program, 'partition', 'split the members into groups that cannot talk to each other, or into a majorities ring (needs up --chaos)', [
    'etcd-lab partition m1,m2 m3,m4,m5',
    'etcd-lab partition --ring           # every member sees a majority, each a different one (ring in plan order)',
    'etcd-lab partition --ring m1,m3,m5,m2,m4',
    'etcd-lab partition --ring --seed 3  # a seeded random ring order',
  ])
    .argument('[groups...]', 'comma-separated member groups; every member in exactly one group (with --ring: the ring order)')
    .option('--ring', "Jepsen's majorities ring: members on a ring, each sees only its nearest neighbours, a majority with itself")
    .option('--seed <n>', 'with --ring and no order: seed of a random ring order')
    .action(async (groups: string[], opts: FaultFlags) => {
      const lists = groups.map((g) => g.split(',').map((s) => s.trim()).filter(Boolean));
      if (opts.ring) {
        if (lists.length > 1) {
          throw new LabError('USAGE', `partition --ring takes one ring order (comma-separated), got ${lists.length} groups`, { hint: 'e.g. etcd-lab partition --ring m1,m3,m5,m2,m4' });
        }
        return withLab(opts, (lab) => lab.ring(lists[0], seed(opts)));
      }
      if (lists.length === 0) throw new LabError('USAGE', 'partition needs at least 2 groups, or --ring', { hint: 'e.g. etcd-lab partition m1,m2 m3,m4,m5' });
      return withLab(opts, (lab) => lab.partition(lists));
    });

  faultCommand(program, 'isolate', 'cut one member off from all others, both ways (needs up --chaos)', ['etcd-lab isolate leader'])
    .argument('<target>', TARGET_HELP)
    .option('--seed <n>', 'seed for random choices')
    .action(async (target: string, opts: FaultFlags) => withLab(opts, (lab) => lab.isolate(target, seed(opts))));

  faultCommand(program, 'cut', 'cut one direction of one link: a->b stops what a sends to b (needs up --chaos)', ['etcd-lab cut m1->m2'])
    .argument('<link>', 'a->b')
    .action(async (spec: string, opts: FaultFlags) =>
      withLab(opts, async (lab, names) => {
        const { parseLinkSpec } = await import('../../chaos/links.js');
        const { from, to } = parseLinkSpec(spec, names);
        return lab.cut(from, to);
      }),
    );

  faultCommand(program, 'delay', 'delay a member\'s links (both ways) or one direction a->b (needs up --chaos)', [
    'etcd-lab delay m3 200ms --jitter 50ms',
    'etcd-lab delay m1->m2 1s',
    'etcd-lab delay m3 0ms               # remove the delay',
  ])
    .argument('<target>', 'member name, leader/follower/random, or a->b')
    .argument('<delay>', 'e.g. 200ms, 1.5s')
    .option('--jitter <duration>', 'random extra or less delay, up to this much', '0ms')
    .action(async (target: string, amount: string, opts: FaultFlags) =>
      withLab(opts, async (lab, names) => {
        const { parseDuration } = await import('../../plan/duration.js');
        const delayMs = Math.round(parseDuration(amount, 'delay'));
        const jitterMs = Math.round(parseDuration(opts.jitter ?? '0ms', '--jitter'));
        if (target.includes('->')) {
          const { parseLinkSpec } = await import('../../chaos/links.js');
          return lab.delay(parseLinkSpec(target, names), delayMs, jitterMs);
        }
        return lab.delay({ member: await oneMember(lab, names, target, 'delay', opts) }, delayMs, jitterMs);
      }),
    );

  faultCommand(program, 'drop', "drop a share of a member's messages (both ways) or of one direction a->b (needs up --chaos)", [
    'etcd-lab drop m1->m2 30%            # 30 % of what m1 sends to m2 is lost',
    'etcd-lab drop m3 100%               # every message to and from m3: like isolate',
    'etcd-lab drop leader 20% --seed 7   # repeatable drop decisions',
    'etcd-lab drop m1->m2 0%             # remove it',
    'etcd-lab links                      # relayed and dropped messages per link',
  ])
    .argument('<target>', 'member name, leader/follower/random, or a->b')
    .argument('<rate>', 'a percentage, e.g. 30%')
    .option('--seed <n>', 'seed of the drop decisions (and of random/follower choices)')
    .action(async (target: string, rate: string, opts: FaultFlags) =>
      withLab(opts, async (lab, names) => {
        const { parseDropRate, parseLinkSpec } = await import('../../chaos/links.js');
        const pct = parseDropRate(rate);
        if (target.includes('->')) return lab.drop(parseLinkSpec(target, names), pct, seed(opts));
        return lab.drop({ member: await oneMember(lab, names, target, 'drop', opts) }, pct, seed(opts));
      }),
    );

  faultCommand(program, 'heal', 'remove every network fault (cuts, partitions, delays)', ['etcd-lab heal']).action(async (opts: FaultFlags) =>
    withLab(opts, (lab) => lab.heal()),
  );

  registerLinks(program);
}

/** `etcd-lab links`: the link table with what each sender's proxy did on each link. */
function registerLinks(program: Command): void {
  faultCommand(program, 'links', 'show every directed link: its fault and the messages its proxy blocked, relayed and dropped (needs up --chaos)', [
    'etcd-lab links',
    'etcd-lab links --json',
  ]).action(async (opts: FaultFlags) => {
    const dir = await stateDirFrom(opts);
    const { refuseProcfileRunner } = await import('../refuse-procfile-runner.js');
    refuseProcfileRunner(dir, 'links');
    const { RemoteLab } = await import('../../chaos/remote-lab.js');
    const lab = await RemoteLab.connect(dir);
    try {
      const stats = await lab.linkStats();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
        return;
      }
      if (stats.length === 0) throw new LabError('NO_CHAOS', `the cluster in ${dir} runs without --chaos: it has no links to show`, { hint: 'etcd-lab up --chaos' });
      const head = ['LINK', 'RULE', 'BLOCKED', 'RELAYED', 'DROPPED'];
      const rows = stats.map((l) => [`${l.from}->${l.to}`, l.rule, String(l.blocked), String(l.relayed), String(l.dropped)]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
      process.stdout.write(`${[head, ...rows].map(line).join('\n')}\n`);
      process.stdout.write('relayed/dropped count only messages on links with a drop rate; blocked counts requests a cut refused\n');
    } finally {
      lab.close();
    }
  });
}
