import type { Command } from 'commander';
import { LabError } from '../../errors.js';
import { addDirOptions, stateDirFrom } from '../state-dir-option.js';
import type { FaultResult, Lab } from '../../chaos/lab.js';

interface FaultFlags {
  dir?: string;
  config?: string;
  json?: boolean;
  seed?: string;
  signal?: string;
  jitter?: string;
}

const TARGET_HELP = 'member name, or leader | follower | random | quorum | all';

async function withLab(opts: FaultFlags, fn: (lab: Lab, names: readonly string[]) => Promise<FaultResult>): Promise<void> {
  const dir = await stateDirFrom(opts);
  const { liveSupervisor } = await import('../../supervisor/state-dir.js');
  if (!liveSupervisor(dir)) {
    throw new LabError('NOT_RUNNING', `no etcd-lab supervisor is running for ${dir}`, {
      hint: `start a cluster with faults enabled: etcd-lab up --chaos -d --dir ${dir}`,
    });
  }
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

  faultCommand(program, 'partition', 'split the members into groups that cannot talk to each other (needs up --chaos)', [
    'etcd-lab partition m1,m2 m3,m4,m5',
  ])
    .argument('<groups...>', 'comma-separated member groups; every member in exactly one group')
    .action(async (groups: string[], opts: FaultFlags) =>
      withLab(opts, (lab) => lab.partition(groups.map((g) => g.split(',').map((s) => s.trim()).filter(Boolean)))),
    );

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
        let member = target;
        if (!names.includes(target)) {
          const { resolveTarget } = await import('../../chaos/targets.js');
          const picked = resolveTarget(target, await lab.status(), Math.random);
          if (picked.length !== 1) throw new LabError('BAD_TARGET', `delay takes one member or one link, and "${target}" is ${picked.length}`);
          member = picked[0]!;
        }
        return lab.delay({ member }, delayMs, jitterMs);
      }),
    );

  faultCommand(program, 'heal', 'remove every network fault (cuts, partitions, delays)', ['etcd-lab heal']).action(async (opts: FaultFlags) =>
    withLab(opts, (lab) => lab.heal()),
  );
}
