import pc from 'picocolors';
import { isLabError } from '../errors.js';

/** Colour only on a terminal, never with NO_COLOR set (any value), always with FORCE_COLOR. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export const colors = pc.createColors(useColor(process.stderr));
export const outColors = pc.createColors(useColor(process.stdout));

export function warn(message: string): void {
  process.stderr.write(`${colors.yellow('warning:')} ${message}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Prints an error the way every command does: what went wrong, details, then how to fix it. */
export function printError(e: unknown): number {
  if (isLabError(e)) {
    process.stderr.write(`${colors.red('error:')} ${e.message}\n`);
    for (const d of e.details) process.stderr.write(`  ${d}\n`);
    if (e.hint) process.stderr.write(`${colors.cyan('hint:')} ${e.hint}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`${colors.red('internal error:')} ${err?.stack ?? String(e)}\n`);
  process.stderr.write(`${colors.cyan('hint:')} this is a bug in etcd-lab; please report it with the command you ran\n`);
  return 1;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
