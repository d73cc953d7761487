// How every supervised process is spawned: in its own process group (detached), with the given environment only,
// its output either through pipes or straight into its log file. ManagedProcess (process.ts) spawns this way and
// watches what it spawned; the background supervisor's first stage (early-start.ts) spawns the bootstrap anchor this
// way before the rest of the supervisor's code has loaded, and a ManagedProcess adopts it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { epochNow } from './ready-figure.js';

export type ProcessCommand = { argv: string[] } | { shell: string };

export interface SpawnSpec {
  command: ProcessCommand;
  cwd: string;
  /** The complete environment of the child (nothing is inherited). */
  env: Record<string, string>;
  logFile?: string | undefined;
  /** The child writes straight into `logFile` (see ManagedProcessOptions.outputToLog). */
  outputToLog: boolean;
}

export interface Spawned {
  child: ChildProcess;
  /** The program, as said in "cannot start <file>". */
  file: string;
  /** With the output in the log file: the file's size before the child wrote to it (its lines are read from there). */
  out: { from: number } | null;
  /** When it was spawned (epoch ms, ready-figure.ts epochNow). */
  at: number;
}

/** Spawns `spec` detached; throws only when Node cannot even try (a failed exec is the child's 'error' event). */
export function spawnProcess(spec: SpawnSpec): Spawned {
  const [file, args] = 'argv' in spec.command ? [spec.command.argv[0]!, spec.command.argv.slice(1)] : ['sh', ['-c', spec.command.shell]];
  if (spec.logFile) mkdirSync(dirname(spec.logFile), { recursive: true });
  if (!(spec.logFile && spec.outputToLog)) {
    const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return { child, file, out: null, at: epochNow() };
  }
  const fd = openSync(spec.logFile, 'a');
  try {
    const from = fstatSync(fd).size;
    const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    return { child, file, out: { from }, at: epochNow() };
  } finally {
    closeSync(fd);
  }
}

/** What a child did before its owner listened to it. */
export interface Happened {
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  close?: { code: number | null; signal: NodeJS.Signals | null };
  error?: Error;
}

/** A spawned child whose events are kept until its owner takes it (ManagedProcess.adopt): none is missed. */
export interface HeldSpawn extends Spawned {
  readonly happened: Happened;
  /** Stops keeping events: the new owner listens itself, then replays `happened`. */
  release(): void;
}

export function holdEvents(s: Spawned): HeldSpawn {
  const happened: Happened = {};
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => void (happened.exit = { code, signal });
  const onClose = (code: number | null, signal: NodeJS.Signals | null): void => void (happened.close = { code, signal });
  const onError = (error: Error): void => void (happened.error = error);
  s.child.on('exit', onExit);
  s.child.on('close', onClose);
  s.child.on('error', onError);
  return {
    ...s,
    happened,
    release: () => {
      s.child.off('exit', onExit);
      s.child.off('close', onClose);
      s.child.off('error', onError);
    },
  };
}
