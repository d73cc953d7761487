// Runs any Procfile the way goreman does: every entry through `sh -c` in its own process group, PORT = base + 100
// per entry, an entry that exits is reported while the others keep running. Serves the same control operations as
// the cluster supervisor on the dir's socket, so `etcd-lab run|status|down|logs -f` work against it.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LabError } from '../errors.js';
import { EtcdClient, type EtcdStatus } from '../etcd/client.js';
import { statusOrNull } from '../etcd/status-or-null.js';
import { flagValue } from '../plan/go-flags.js';
import type { ProcfileEntry } from '../plan/procfile.js';
import { splitCommand } from '../plan/quote.js';
import type { RestartPolicy } from '../plan/settings.js';
import { staggerAnchor } from '../plan/start-order.js';
import { didYouMean } from '../plan/suggest.js';
import type { ControlHandler } from './control.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { failureLines } from './exit-report.js';
import { staggerEntryOf, waitAnchor, type AnchorSign } from './procfile-stagger.js';
import { ManagedProcess, type ExitInfo, type OutputStream, type ProcessState } from './process.js';
import { exitFailed, RestartBackoff, shouldRestart } from './restart-policy.js';
import { acquireLock, statePaths, type DirLock } from './state-dir.js';
import { assembleStatus, type StatusReport } from './status.js';

/** One Procfile entry, ready to run. */
export interface ProcfileJob {
  name: string;
  command: string;
  /** 1-based line in the Procfile. */
  line: number;
  /** Position in the Procfile (colour index; PORT = base + 100 * index). */
  index: number;
  port: number;
  /** The complete environment of the entry. */
  env: Record<string, string>;
}

export interface EtcdEntryInfo {
  /** etcd's `--name`, when given. */
  member: string | null;
  /** Where to ask for status: the first advertised (else listened) client URL, wildcard hosts as 127.0.0.1. */
  clientURL: string | null;
  peerURL: string | null;
}

export interface ProcfileRunnerOptions {
  /** Absolute state dir: lock, control socket, logs/<entry>.log. */
  dir: string;
  jobs: ProcfileJob[];
  /** Working directory of every entry. */
  cwd: string;
  restart: RestartPolicy;
  /** Start every entry at once, even the etcd members of a new cluster (docs/etcd-facts.md#bootstrap-stall). */
  allAtOnce?: boolean;
}

/** `'stagger'`: the anchor starts first; the others of `members` etcd members wait for it. */
export interface StaggerEvent {
  anchor: string;
  members: number;
}

/** `'stagger-done'`: why and when (ms after the anchor's spawn) the waiting members start. */
export interface StaggerDoneEvent {
  anchor: string;
  sign: AnchorSign;
  afterMs: number;
}

export interface EntryExitEvent {
  name: string;
  code: number | null;
  signal: string | null;
  lastLines: string[];
}

export interface EntryRestartEvent {
  name: string;
  attempt: number;
  delayMs: number;
}

export interface EntryListItem {
  name: string;
  pid: number | null;
  state: ProcessState;
  port: number;
}

const STEP = 100;
const STATUS_TIMEOUT_MS = 500;
const DETAIL_LINES = 5;

/**
 * PURE. Picks the entries to run (`only`, in the order given; all when empty) and gives each its environment:
 * the parent's, then `.env` values for names the parent does not set (goreman's rule), then PORT. PORT follows the
 * entry's place in the file, so it does not change when only some entries run.
 */
export function planProcfileRun(input: {
  entries: ProcfileEntry[];
  only?: readonly string[];
  basePort: number;
  parentEnv: Record<string, string | undefined>;
  dotenv?: Record<string, string>;
  file?: string;
}): ProcfileJob[] {
  const file = input.file ?? 'Procfile';
  const names = input.entries.map((e) => e.name);
  const wanted = [...new Set(input.only ?? [])];
  for (const n of wanted) {
    if (!names.includes(n)) {
      throw new LabError('UNKNOWN_MEMBER', `${file} has no process "${n}"${didYouMean(n, names)}`, {
        hint: `its processes: ${names.join(', ')}`,
      });
    }
  }
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.parentEnv)) if (v !== undefined) base[k] = v;
  for (const [k, v] of Object.entries(input.dotenv ?? {})) if (!(k in base)) base[k] = v;
  const jobs = input.entries.map((e, index) => {
    const port = input.basePort + STEP * index;
    return { name: e.name, command: e.command, line: e.line, index, port, env: { ...base, PORT: String(port) } };
  });
  return wanted.length === 0 ? jobs : wanted.map((n) => jobs.find((j) => j.name === n)!);
}

function firstURL(list: string | null): string | null {
  const first = list?.split(',')[0]?.trim();
  if (!first) return null;
  try {
    const u = new URL(first);
    if (u.hostname === '0.0.0.0' || u.hostname === '[::]' || u.hostname === '') u.hostname = '127.0.0.1';
    return u.origin;
  } catch {
    return null;
  }
}

/**
 * PURE. What a Procfile command says about the etcd member it runs (name, client and peer URL), or null when the
 * program is not `etcd` or the line needs a real shell to read.
 */
export function etcdEntryInfo(command: string): EtcdEntryInfo | null {
  let argv: string[];
  try {
    argv = splitCommand(command).argv;
  } catch {
    return null;
  }
  if (basename(argv[0]!) !== 'etcd' || argv[1] === 'grpc-proxy' || argv[1] === 'gateway') return null;
  return {
    member: flagValue(argv, 'name'),
    clientURL: firstURL(flagValue(argv, 'advertise-client-urls') ?? flagValue(argv, 'listen-client-urls')),
    peerURL: firstURL(flagValue(argv, 'initial-advertise-peer-urls') ?? flagValue(argv, 'listen-peer-urls')),
  };
}

interface Entry {
  job: ProcfileJob;
  proc: ManagedProcess;
  etcd: EtcdEntryInfo | null;
  /** Stopped on request: not restarted, and the runner does not end while it is down. */
  held: boolean;
  /** Waits for the bootstrap anchor before its first start: not started yet, but the runner has not ended. */
  staggered: boolean;
  restarts: RestartBackoff;
}

/**
 * Events: `'line'(name, text, stream)`, `'spawn'({ name, pid, port })`, `'exit'(EntryExitEvent)` for an entry
 * that ended on its own, `'stop'({ name, code, signal })` for one stopped on request, `'restart'(EntryRestartEvent)`, `'stagger'(StaggerEvent)` and `'stagger-done'(StaggerDoneEvent)` around a staggered start, `'all-ended'({ failed })` when every entry has ended on
 * its own (the owner decides whether to shut down), `'down-requested'(graceMs)`, `'stopping'`, `'stopped'`.
 */
export class ProcfileRunner extends EventEmitter {
  readonly dir: string;
  private readonly opts: ProcfileRunnerOptions;
  private readonly lock: DirLock;
  private readonly list: Entry[];
  private control: ControlServer | null = null;
  private shuttingDown: Promise<void> | null = null;

  private constructor(opts: ProcfileRunnerOptions, lock: DirLock) {
    super();
    this.opts = opts;
    this.dir = opts.dir;
    this.lock = lock;
    const logs = statePaths(opts.dir).logs;
    this.list = opts.jobs.map((job) => {
      const proc = new ManagedProcess({
        name: job.name,
        command: { shell: job.command },
        cwd: opts.cwd,
        env: job.env,
        logFile: join(logs, `${job.name}.log`),
      });
      const entry: Entry = {
        job,
        proc,
        etcd: etcdEntryInfo(job.command),
        held: false,
        staggered: false,
        restarts: new RestartBackoff(),
      };
      proc.on('line', (text: string, stream: OutputStream) => this.emit('line', job.name, text, stream));
      proc.on('exit', (info: ExitInfo) => this.onExit(entry, info));
      return entry;
    });
  }

  /** Takes the dir's lock (DIR_IN_USE when a live supervisor or runner holds it). Writes no plan: this is no etcd-lab plan. */
  static open(opts: ProcfileRunnerOptions): ProcfileRunner {
    if (opts.jobs.length === 0) throw new LabError('INTERNAL', 'a Procfile runner needs at least one entry');
    const lock = acquireLock(opts.dir);
    try {
      mkdirSync(statePaths(opts.dir).logs, { recursive: true });
      return new ProcfileRunner(opts, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  get names(): string[] {
    return this.list.map((e) => e.job.name);
  }

  /**
   * Opens the control socket, then starts every entry at once (as goreman does), except when 2 or more etcd
   * members bootstrap one new cluster (and not `allAtOnce`): then their bootstrap anchor starts first, with every
   * other entry, and the other members once the anchor is past its bootstrap check (docs/etcd-facts.md#bootstrap-stall).
   * Resolves once every entry has been started.
   */
  async start(): Promise<void> {
    try {
      this.control = await startControlServer(statePaths(this.dir).sock, this.handlers());
      const anchor = this.anchor();
      if (!anchor) {
        for (const e of this.list) this.spawn(e);
        return;
      }
      const later = this.list.filter((e) => e !== anchor.entry && anchor.members.includes(e));
      for (const e of later) e.staggered = true;
      this.emit('stagger', { anchor: anchor.entry.job.name, members: anchor.members.length } satisfies StaggerEvent);
      const spawnedAt = performance.now();
      this.spawn(anchor.entry);
      for (const e of this.list) if (e !== anchor.entry && !e.staggered) this.spawn(e);
      const until = new AbortController();
      const onStop = (): void => until.abort();
      this.once('stopping', onStop);
      const sign = await waitAnchor(anchor.entry.proc, anchor.entry.etcd!.peerURL!, { signal: until.signal }).finally(() => this.off('stopping', onStop));
      for (const e of later) e.staggered = false;
      if (this.shuttingDown) return;
      this.emit('stagger-done', { anchor: anchor.entry.job.name, sign, afterMs: Math.round(performance.now() - spawnedAt) } satisfies StaggerDoneEvent);
      // An entry stopped on request meanwhile stays down; one started on request already runs.
      for (const e of later) if (!e.held && !e.proc.alive && e.proc.lastExit === null) this.spawn(e);
    } catch (err) {
      await this.shutdown(0);
      throw err;
    }
  }

  /** The entry to start first and the etcd members of its new cluster, or null to start all at once. */
  private anchor(): { entry: Entry; members: Entry[] } | null {
    if (this.opts.allAtOnce) return null;
    const info = this.list.map((e) => (e.etcd ? staggerEntryOf(e.job.command, e.etcd.peerURL, this.opts.cwd) : null));
    const i = staggerAnchor(info);
    if (i < 0) return null;
    const key = info[i]!.newCluster;
    const members = this.list.filter((_, j) => info[j] !== null && info[j]!.newCluster === key && !info[j]!.hasWal && info[j]!.peerURL);
    return { entry: this.list[i]!, members };
  }

  entries(): EntryListItem[] {
    return this.list.map((e) => ({ name: e.job.name, pid: e.proc.pid, state: e.proc.state, port: e.job.port }));
  }

  /** Starts a stopped entry (no-op when it runs). */
  startEntry(name: string): void {
    const e = this.entry(name);
    this.cancelRestart(e);
    e.held = false;
    if (e.proc.state === 'paused') e.proc.resume();
    if (!e.proc.alive) this.spawn(e);
  }

  /** SIGTERM to the entry's whole process group, SIGKILL after `graceMs`; it stays down until started. */
  async stopEntry(name: string, graceMs = 3000): Promise<void> {
    const e = this.entry(name);
    e.held = true;
    this.cancelRestart(e);
    await e.proc.stop(graceMs);
  }

  async restartEntry(name: string, graceMs = 3000): Promise<void> {
    await this.stopEntry(name, graceMs);
    this.startEntry(name);
  }

  /** Every entry in the shape of a cluster status; etcd entries are asked for their raft view (short timeout). */
  async status(): Promise<StatusReport> {
    const answers = await Promise.all(
      this.list.map(async (e): Promise<EtcdStatus | null> => {
        const url = e.etcd?.clientURL;
        if (!url || !e.proc.alive || e.proc.state === 'paused') return null;
        return statusOrNull(new EtcdClient(url, { timeoutMs: STATUS_TIMEOUT_MS }));
      }),
    );
    const sources = this.list.map((e) => ({
      name: e.job.name,
      state: e.proc.state,
      pid: e.proc.pid,
      clientURL: e.etcd?.clientURL ?? '',
      peerURL: e.etcd?.peerURL ?? '',
    }));
    return assembleStatus(this.dir, sources, answers, null);
  }

  /**
   * Stops every entry at once (SIGTERM to each group, SIGKILL after `graceMs`), closes the socket, releases the
   * dir. Idempotent; a call with 0 while stopping kills what is left now.
   */
  shutdown(graceMs = 3000): Promise<void> {
    if (this.shuttingDown) {
      if (graceMs === 0) for (const e of this.list) void e.proc.stop(0);
      return this.shuttingDown;
    }
    this.shuttingDown = (async () => {
      this.emit('stopping');
      for (const e of this.list) this.cancelRestart(e);
      try {
        await Promise.all(this.list.map((e) => e.proc.stop(graceMs)));
      } finally {
        await this.control?.close().catch(() => undefined);
        this.control = null;
        this.lock.release();
        this.emit('stopped');
      }
    })();
    return this.shuttingDown;
  }

  /** An entry by its Procfile name, or by the etcd `--name` of exactly one entry (`infra2` for etcd's `etcd2`). */
  private entry(name: unknown): Entry {
    if (typeof name !== 'string' || name === '') {
      throw new LabError('USAGE', 'name a process', { hint: `processes: ${this.names.join(', ')}` });
    }
    const byName = this.list.find((e) => e.job.name === name);
    if (byName) return byName;
    const byMember = this.list.filter((e) => e.etcd?.member === name);
    if (byMember.length === 1) return byMember[0]!;
    throw new LabError('UNKNOWN_MEMBER', `no process "${name}" runs from this Procfile${didYouMean(name, this.names)}`, {
      hint: `processes: ${this.names.join(', ')}`,
    });
  }

  private spawn(e: Entry): void {
    e.restarts.started();
    e.proc.start();
    e.proc.markRunning();
    this.emit('spawn', { name: e.job.name, pid: e.proc.pid, port: e.job.port });
  }

  private cancelRestart(e: Entry): void {
    e.restarts.cancel();
  }

  private onExit(e: Entry, info: ExitInfo): void {
    if (this.shuttingDown) return;
    if (info.expected) {
      this.emit('stop', { name: e.job.name, code: info.code, signal: info.signal });
      return;
    }
    this.emit('exit', { name: e.job.name, code: info.code, signal: info.signal, lastLines: failureLines(e.proc.runLines(), DETAIL_LINES) } satisfies EntryExitEvent);
    if (!e.held && shouldRestart(this.opts.restart, info)) {
      const next = e.restarts.schedule(() => {
        if (!this.shuttingDown && !e.held && !e.proc.alive) this.spawn(e);
      });
      this.emit('restart', { name: e.job.name, ...next } satisfies EntryRestartEvent);
      return;
    }
    const ended = this.list.every((x) => !x.proc.alive && !x.restarts.pending && !x.held && !x.staggered);
    if (ended) {
      const anyFailed = this.list.some((x) => x.proc.lastExit !== null && exitFailed(x.proc.lastExit));
      this.emit('all-ended', { failed: anyFailed });
    }
  }

  private handlers(): Record<string, ControlHandler> {
    const grace = (args: Record<string, unknown>): number | undefined => (typeof args.graceMs === 'number' ? args.graceMs : undefined);
    return {
      ping: () => ({ pid: process.pid, dir: this.dir, kind: 'procfile' }),
      list: () => this.entries(),
      status: () => this.status(),
      start: (args) => {
        const e = this.entry(args.member);
        this.startEntry(e.job.name);
        return { member: e.job.name, state: 'running' };
      },
      stop: async (args) => {
        const e = this.entry(args.member);
        await this.stopEntry(e.job.name, grace(args));
        return { member: e.job.name, state: 'stopped' };
      },
      restart: async (args) => {
        const e = this.entry(args.member);
        await this.restartEntry(e.job.name, grace(args));
        return { member: e.job.name, state: 'running' };
      },
      logs: (args, ctx) =>
        new Promise<null>((resolve) => {
          const only = args.member === undefined ? null : this.entry(args.member).job.name;
          const onLine = (name: string, text: string): void => {
            if (only === null || name === only) ctx.send({ event: 'line', member: name, text });
          };
          this.on('line', onLine);
          ctx.send({ event: 'subscribed' }); // logs -f reads the files only after this (cli/log-follow.ts)
          const end = (): void => {
            this.off('line', onLine);
            this.off('stopped', end);
            resolve(null);
          };
          this.once('stopped', end);
          ctx.onClose(end);
        }),
      down: (args) => {
        const graceMs = grace(args) ?? 3000;
        // Answer first: the socket closes during shutdown.
        setImmediate(() => this.emit('down-requested', graceMs));
        return { pid: process.pid, stopping: true };
      },
    };
  }
}
