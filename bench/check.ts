// (6) The linearizability checker on third-party histories: the 52 Jepsen etcd logs of test/fixtures/histories
// (in this process, and as one `etcd-lab check` run of the built CLI) and the key-value histories, best of 3,
// against porcupine's time for the same 52 files on this machine (bench/findings.md); and the shrinker on a long
// history with one stale read (bad-history.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkRegisterHistory } from '../src/check/linearizability.js';
import { checkParsed, parseHistory } from '../src/check/parse/index.js';
import { staleReadHistory } from './bad-history.js';
import { BIN, REPO, runTimed, show } from './cli.js';
import { atMost, faster, type Figure } from './figure.js';
import { waitQuiet } from './machine.js';

/** porcupine (Go) checking the same 52 files on this machine, best of 3: 0.25–0.29 s (bench/findings.md). */
export const PORCUPINE_JEPSEN_MS = 250;

export interface CheckBenchOptions {
  runs: number;
  log: (s: string) => void;
}

const DIR = join(REPO, 'test', 'fixtures', 'histories');

function expected(): Map<string, string> {
  const rows = readFileSync(join(DIR, 'expected.tsv'), 'utf8').trim().split('\n').slice(1);
  return new Map(rows.map((r) => r.split('\t') as [string, string]));
}

/** Reads, parses and checks every file once; throws on a verdict other than the published one. */
function checkAll(files: string[], want: Map<string, string>, minimize: boolean): number {
  const t0 = performance.now();
  for (const f of files) {
    const r = checkParsed(parseHistory(readFileSync(join(DIR, f), 'utf8'), f), { minimize });
    if (r.verdict !== want.get(f)) throw new Error(`${f}: ${r.verdict}, but expected.tsv says ${want.get(f)}`);
  }
  return performance.now() - t0;
}

/** The time of one check that must find the history not linearizable. */
function timedVerdict(check: () => { verdict: string }): number {
  const t0 = performance.now();
  const r = check();
  if (r.verdict !== 'not-linearizable') throw new Error(`a history with a stale read was found ${r.verdict}`);
  return performance.now() - t0;
}

async function best(runs: number, one: () => Promise<number> | number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    await waitQuiet();
    min = Math.min(min, await one());
  }
  return min;
}

export async function benchCheck(o: CheckBenchOptions): Promise<Figure[]> {
  const want = expected();
  const jepsen = readdirSync(join(DIR, 'jepsen-etcd')).filter((f) => f.endsWith('.log')).sort().map((f) => `jepsen-etcd/${f}`);
  const kv = readdirSync(join(DIR, 'kv')).sort().map((f) => `kv/${f}`);
  if (jepsen.length !== 52) throw new Error(`expected 52 Jepsen logs, found ${jepsen.length}`);

  const cold = checkAll(jepsen, want, false);
  o.log(`check: first pass over the 52 Jepsen logs (cold JIT) ${cold.toFixed(0)} ms`);
  const verdictOnly = await best(o.runs, () => checkAll(jepsen, want, false));
  const minimized = await best(o.runs, () => checkAll(jepsen, want, true));
  const kvMs = await best(o.runs, () => checkAll(kv, want, true));

  const cli = async (extra: string[]): Promise<number> => {
    const r = await runTimed(process.execPath, [BIN, 'check', ...extra, ...jepsen.map((f) => join(DIR, f))], { cwd: REPO, timeoutMs: 120_000 });
    // 1: some of them are not linearizable, as published
    if (r.code !== 1 || r.stdout.trimEnd().split('\n').filter((l) => /^\S/.test(l)).length !== 52) throw new Error(`etcd-lab check: ${show(r)}`);
    return r.wallMs;
  };
  const bare = await best(o.runs, async () => (await runTimed(process.execPath, ['-e', ''], { cwd: REPO })).wallMs);
  const cliPlain = await best(o.runs, () => cli(['--no-minimize']));
  const cliMin = await best(o.runs, () => cli([]));
  // The shrinker: 10 clients, 5000 operations on one key, one stale read at 90 %.
  const stale = staleReadHistory({ clients: 10, operations: 5000 });
  let shown = 0;
  const staleVerdict = await best(o.runs, () => timedVerdict(() => checkRegisterHistory(stale, { minimize: false })));
  const staleShrunk = await best(o.runs, () =>
    timedVerdict(() => {
      const r = checkRegisterHistory(stale);
      shown = r.violation?.operations.length ?? 0;
      if (r.violation?.explanation.includes('time budget ran out')) throw new Error(`the shrink ran out of time: ${r.violation.explanation.split('\n')[0]}`);
      return r;
    }),
  );
  o.log(`check: a stale read in 5000 operations of 10 clients: verdict ${staleVerdict.toFixed(0)} ms, shrunk to ${shown} operations in ${staleShrunk.toFixed(0)} ms`);
  o.log(`check: 52 Jepsen logs in-process ${verdictOnly.toFixed(0)} ms (with shrinking ${minimized.toFixed(0)} ms); CLI ${cliPlain.toFixed(0)} ms (with shrinking ${cliMin.toFixed(0)} ms; node -e "" ${bare.toFixed(0)} ms); kv ${kvMs.toFixed(0)} ms`);

  const porcupine = { label: 'porcupine (Go), same files', value: PORCUPINE_JEPSEN_MS, unit: 'ms' as const };
  const vsPorcupine = (name: string, v: number, note: string, target = true): Figure => ({
    section: 'check',
    name,
    value: v,
    unit: 'ms',
    baseline: porcupine,
    ratio: faster(v, PORCUPINE_JEPSEN_MS),
    ...(target ? { target: atMost(v, 2 * PORCUPINE_JEPSEN_MS, `<= 2x porcupine (${2 * PORCUPINE_JEPSEN_MS} ms)`) } : {}),
    note,
  });
  return [
    vsPorcupine('check.jepsen52.in-process', verdictOnly, 'read + parse + check, verdicts only, best of 3'),
    vsPorcupine('check.jepsen52.cli', cliPlain, `one \`etcd-lab check --no-minimize\` run of the built CLI, best of 3; node start included (\`node -e ""\` alone: ${Math.round(bare)} ms)`),
    vsPorcupine('check.jepsen52.in-process+shrink', minimized, 'as above, each violation shrunk and explained', false),
    vsPorcupine('check.jepsen52.cli+shrink', cliMin, 'one `etcd-lab check` run (the default: violations shrunk and explained)', false),
    {
      section: 'check',
      name: 'check.stale-read.c10.verdict',
      value: staleVerdict,
      unit: 'ms',
      note: 'one key, 10 clients, 5000 operations, one stale read at 90 % (bench/bad-history.ts): the verdict alone, best of 3',
    },
    {
      section: 'check',
      name: 'check.stale-read.c10.shrunk',
      value: staleShrunk,
      unit: 'ms',
      target: atMost(staleShrunk, 30_000, '<= the default budget, 30 s'),
      note: 'the same, with the violation shrunk and explained (the default), best of 3',
    },
    { section: 'check', name: 'check.stale-read.c10.shown', value: shown, unit: 'ops', target: atMost(shown, 3, '3: the read, the put it saw, one put over it'), note: 'operations the shrunk violation shows' },
    { section: 'check', name: 'check.kv4', value: kvMs, unit: 'ms', note: 'the 4 EDN key-value histories (1 and 10 clients, per-key partitions), shrinking on, best of 3' },
  ];
}
