// Reading what a child process appends to its log file (members write their output straight into it): ManagedProcess
// (process.ts) turns it into lines, the supervisor's first stage (early-start.ts) looks for the anchor's start line.
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';

/** How often the file is read when no change notification came (by default). */
const TAIL_POLL_MS = 250;

/** Reads what is appended to a file from offset `from` on: on change notifications, and by polling as a fallback. */
export class FileTail {
  private readonly fd: number;
  private pos: number;
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  private readonly watcher: FSWatcher | null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    path: string,
    from: number,
    private readonly onChunk: (chunk: Buffer) => void,
    pollMs = TAIL_POLL_MS,
  ) {
    this.fd = openSync(path, 'r');
    this.pos = from;
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(path, { persistent: false }, () => this.read());
      watcher.on('error', () => {
        /* the poll still reads */
      });
    } catch {
      /* no notifications here: the poll reads */
    }
    this.watcher = watcher;
    this.timer = setInterval(() => this.read(), pollMs);
    this.timer.unref();
    // What is there already (an adopted child wrote before anyone watched): read once the caller has set up.
    setImmediate(() => this.read());
  }

  read(): void {
    // A chunk's reader may close the tail: nothing is read after that.
    while (!this.closed) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      } catch {
        return;
      }
      if (n <= 0) return;
      this.pos += n;
      this.onChunk(Buffer.from(this.buf.subarray(0, n)));
    }
  }

  /** Reads what is left, then stops. */
  close(): void {
    this.read();
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}
