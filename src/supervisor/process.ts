// One supervised child process in its own process group: line-split output, a log file, stop/pause/signal.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { FileTail } from './file-tail.js';
import { StringDecoder } from 'node:string_decoder';
import { startMark } from '../start-trace.js';
import { waitGoneSync } from './proc-info.js';
import { spawnProcess, type Happened, type HeldSpawn, type ProcessCommand, type Spawned } from './spawn-process.js';

export type ProcessState = 'starting' | 'running' | 'stopped' | 'paused' | 'exited';
export type { ProcessCommand };
export type OutputStream = 'stdout' | 'stderr';

export interface ManagedProcessOptions {
  name: string;
  command: ProcessCommand;
  cwd: string;
  /** The complete environment of the child (nothing is inherited). */
  env: Record<string, string>;
  /** Raw output of both streams is appended here. */
  logFile?: string;
  /**
   * The child writes its output straight into `logFile` (lines are read back from it and reported as 'stderr')
   * instead of through pipes to this process, so that it outlives this process: a Go program is killed by
   * SIGPIPE on its next log line once the reader of its stderr pipe is gone. Needs `logFile`.
   */
  outputToLog?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** True when the process ended because `stop()` asked it to. */
  expected: boolean;
}

const RING_SIZE = 200;
/** A "line" longer than this is emitted in pieces rather than buffered without bound. */
const MAX_LINE = 64 * 1024;
/** How long to wait for the output pipes to close after the process exited (a stray holder may keep them open). */
const DRAIN_MS = 500;
/** After SIGKILL, how much longer `stop()` waits before giving up. */
const KILL_WAIT_MS = 2000;
/** At most this long after a process ends, its exit is announced even if its log file has not taken every byte. */
const LOG_FLUSH_MS = 1000;

/** Process group ids (= leader pids) started by this module whose group may still hold processes. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** How long `killGroupsSync` blocks, at most, for the killed group leaders to be gone. */
const KILL_ALL_WAIT_MS = 2000;

/**
 * SIGKILLs every process group started by this module that may still be alive, then blocks until each group's leader
 * has died (bounded), so that a caller about to exit leaves no member holding its ports. Synchronous: safe in
 * `process.on('exit')` and in a crash handler.
 */
export function killAllGroupsSync(): void {
  const groups = [...liveGroups];
  liveGroups.clear();
  killGroupsSync(groups);
}

/** SIGKILLs these process groups, then blocks until each leader has died (bounded). Safe in `process.on('exit')`. */
export function killGroupsSync(pgids: readonly number[]): void {
  waitGoneSync(
    pgids.filter((pgid) => signalGroup(pgid, 'SIGKILL')),
    KILL_ALL_WAIT_MS,
  );
}

function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    let text = this.partial + this.decoder.write(chunk);
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      this.emit(stripCR(text.slice(0, nl)));
      text = text.slice(nl + 1);
      nl = text.indexOf('\n');
    }
    while (text.length > MAX_LINE) {
      this.emit(text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.partial = text;
  }

  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.emit(stripCR(rest));
  }
}

function stripCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Events: `'line'(text, stream)`, `'state'(state)`, `'exit'(ExitInfo)`.
 * `start()` may be called again once the process has ended.
 */
export class ManagedProcess extends EventEmitter {
  readonly name: string;
  readonly command: ProcessCommand;
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly logFile: string | undefined;
  readonly outputToLog: boolean;

  private child: ChildProcess | null = null;
  private _state: ProcessState = 'stopped';
  /** The state to return to on resume. */
  private stateBeforePause: ProcessState = 'running';
  private stopRequested = false;
  private killTimer: NodeJS.Timeout | null = null;
  private killAt = Infinity;
  private exitWaiters: (() => void)[] = [];
  private readonly ring: string[] = [];
  private linesThisRun = 0;
  private _lastExit: ExitInfo | null = null;
  private _spawnedAt: number | null = null;

  constructor(opts: ManagedProcessOptions) {
    super();
    this.name = opts.name;
    this.command = opts.command;
    this.cwd = opts.cwd;
    this.env = opts.env;
    this.logFile = opts.logFile;
    this.outputToLog = opts.outputToLog === true && opts.logFile !== undefined;
  }

  get state(): ProcessState {
    return this._state;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** True while a child is running (also when paused or being stopped). */
  get alive(): boolean {
    return this.child !== null;
  }

  /** When the current (or last) child was spawned, epoch ms; null before the first. */
  get spawnedAt(): number | null {
    return this._spawnedAt;
  }

  get lastExit(): ExitInfo | null {
    return this._lastExit;
  }

  lastLines(n = RING_SIZE): string[] {
    return n <= 0 ? [] : this.ring.slice(-n);
  }

  /** The last `n` lines of the current (or last) run only. */
  runLines(n = RING_SIZE): string[] {
    return this.lastLines(Math.min(n, this.linesThisRun));
  }

  start(): void {
    this.begin();
    const spawned = spawnProcess({ command: this.command, cwd: this.cwd, env: this.env, logFile: this.logFile, outputToLog: this.outputToLog });
    startMark(`spawned ${this.name}`);
    let log: WriteStream | null = null;
    if (this.logFile && !this.outputToLog) {
      log = createWriteStream(this.logFile, { flags: 'a' });
      log.on('error', () => {
        /* a log that cannot be written must not take the supervisor down */
      });
    }
    this.watch(spawned, log, {});
  }

  /**
   * Takes over a child spawned for this process before it existed (the supervisor's first stage, early-start.ts), as
   * if start() had spawned it: what it did meanwhile (exited, failed to start) is handled now.
   */
  adopt(held: HeldSpawn): void {
    this.begin();
    held.release();
    this.watch(held, null, held.happened);
  }

  private begin(): void {
    if (this.child) throw new Error(`${this.name} is already running (pid ${this.child.pid ?? '?'})`);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', killAllGroupsSync);
    }
    this.stopRequested = false;
    this.killAt = Infinity;
    this.linesThisRun = 0;
  }

  private watch({ child, file, out, at }: Spawned, log: WriteStream | null, happened: Happened): void {
    this.child = child;
    this._spawnedAt = at;
    this.setState('starting');
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);

    const splitters = {
      stdout: new LineSplitter((l) => this.addLine(l, 'stdout')),
      stderr: new LineSplitter((l) => this.addLine(l, 'stderr')),
    };
    let tail: FileTail | null = null;
    if (out && this.logFile) {
      try {
        tail = new FileTail(this.logFile, out.from, (chunk) => splitters.stderr.push(chunk));
      } catch {
        /* the log file vanished: its lines are not seen here, the child runs on */
      }
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.on('data', (chunk: Buffer) => {
        log?.write(chunk);
        splitters[stream].push(chunk);
      });
    }

    let exitInfo: { code: number | null; signal: string | null } | null = null;
    let closed = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      tail?.close();
      splitters.stdout.flush();
      splitters.stderr.flush();
      if (pgid !== undefined) {
        // Whatever the leader left behind in its group goes with it.
        signalGroup(pgid, 'SIGKILL');
        liveGroups.delete(pgid);
      }
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = null;
      const info: ExitInfo = { code: exitInfo?.code ?? null, signal: exitInfo?.signal ?? null, expected: this.stopRequested };
      this._lastExit = info;
      this.child = null;
      this.setState(info.expected ? 'stopped' : 'exited');
      const announce = (): void => {
        const waiters = this.exitWaiters;
        this.exitWaiters = [];
        for (const w of waiters) w();
        this.emit('exit', info);
      };
      if (!log) return announce();
      // Announced once the log file holds every byte the process wrote (bounded, should the file stop accepting).
      let announced = false;
      const once = (): void => {
        if (announced) return;
        announced = true;
        clearTimeout(flushTimer);
        announce();
      };
      const flushTimer = setTimeout(once, LOG_FLUSH_MS);
      log.end(once);
    };
    let drainTimer: NodeJS.Timeout | undefined;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      exitInfo = { code, signal };
      if (closed) finish();
      else {
        // Kill leftovers now so that pipes they hold close; then wait briefly for the tail of the output.
        if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
        drainTimer = setTimeout(finish, DRAIN_MS);
      }
    };
    child.on('exit', onExit);
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void => {
      closed = true;
      if (exitInfo || pgid === undefined) {
        exitInfo ??= { code, signal };
        finish();
      }
    };
    child.on('close', onClose);
    const onError = (err: NodeJS.ErrnoException): void => {
      if (pgid === undefined) {
        this.addLine(`cannot start ${file}: ${err.code ?? err.message}`, 'stderr');
        exitInfo = { code: null, signal: null };
        setImmediate(finish);
      }
    };
    child.on('error', onError);
    if (happened.error) onError(happened.error);
    if (happened.exit) onExit(happened.exit.code, happened.exit.signal);
    if (happened.close) onClose(happened.close.code, happened.close.signal);
  }

  /** Marks a started process as ready (the owner decides what ready means). */
  markRunning(): void {
    if (this._state === 'starting') this.setState('running');
    else if (this._state === 'paused') this.stateBeforePause = 'running';
  }

  /**
   * SIGTERM to the whole group (after SIGCONT if paused), SIGKILL after `graceMs`. Resolves once the
   * process has exited, or gives up after the grace plus a bound. A second call may shorten the grace.
   */
  stop(graceMs = 3000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) {
      if (this._state === 'exited') this.setState('stopped');
      return Promise.resolve();
    }
    const pgid = child.pid;
    if (!this.stopRequested) {
      this.stopRequested = true;
      if (this._state === 'paused') signalGroup(pgid, 'SIGCONT');
      if (graceMs > 0) signalGroup(pgid, 'SIGTERM');
    }
    const killAt = Date.now() + Math.max(0, graceMs);
    if (killAt < this.killAt) {
      this.killAt = killAt;
      if (this.killTimer) clearTimeout(this.killTimer);
      const kill = (): void => {
        this.killTimer = null;
        if (this.child === child) signalGroup(pgid, 'SIGKILL');
      };
      if (graceMs <= 0) kill();
      else this.killTimer = setTimeout(kill, graceMs);
    }
    return this.waitExit(Math.max(0, graceMs) + KILL_WAIT_MS).then(() => undefined);
  }

  /** Resolves when the current child has exited (true), or after `timeoutMs` (false). */
  waitExit(timeoutMs = Infinity): Promise<boolean> {
    if (!this.child) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.exitWaiters.push(done);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.exitWaiters = this.exitWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Sends a signal to the whole group. SIGSTOP/SIGCONT also change the state (see pause/resume). */
  signal(sig: NodeJS.Signals): boolean {
    if (sig === 'SIGSTOP') return this.pause();
    if (sig === 'SIGCONT') return this.resume();
    const pgid = this.child?.pid;
    return pgid !== undefined && signalGroup(pgid, sig);
  }

  pause(): boolean {
    const pgid = this.child?.pid;
    if (pgid === undefined || !signalGroup(pgid, 'SIGSTOP')) return false;
    if (this._state !== 'paused') {
      this.stateBeforePause = this._state;
      this.setState('paused');
    }
    return true;
  }

  resume(): boolean {
    const pgid = this.child?.pid;
    if (pgid === undefined || !signalGroup(pgid, 'SIGCONT')) return false;
    if (this._state === 'paused') this.setState(this.stateBeforePause);
    return true;
  }

  private addLine(text: string, stream: OutputStream): void {
    this.ring.push(text);
    this.linesThisRun++;
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    this.emit('line', text, stream);
  }

  private setState(s: ProcessState): void {
    if (s === this._state) return;
    this._state = s;
    this.emit('state', s);
  }
}
