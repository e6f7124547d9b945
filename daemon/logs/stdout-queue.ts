/**
 * tsgid's stdout when it is a pipe or a file (the daemon's lines, and the apps' while `logs.dir`
 * is unset): pino's destination, written asynchronously so that a slow reader never stalls the
 * arbiter, holding at most `max` bytes unwritten; a record that does not fit is dropped and told
 * ('drop', synchronously, from inside write()), and 'drain' says all is written.
 *
 * What waits is kept as bytes in two Buffers (one filling, one being written), not as strings:
 * a flood of queued strings survives the young generation's collections, which makes V8 grow its
 * heap, and a daemon that then goes quiet never collects again to shrink it (a 1M-line flood left
 * tsgid 26 MB bigger for good). Bytes copied into a Buffer leave only short-lived garbage behind;
 * the Buffers grow as needed up to `max` and go back to their first size once all is written.
 */
import { EventEmitter } from 'node:events';
import { write, writeSync } from 'node:fs';

/** what a quiet log holds: a few lines; more is allocated only while a backlog lasts */
const SMALL = 16 * 1024;
/** a full pipe (EAGAIN, a non-blocking stdout) is tried again after this long */
const RETRY_MS = 10;

export class StdoutQueue extends EventEmitter {
  private filling: Buffer = Buffer.allocUnsafeSlow(SMALL);
  private filled = 0;
  private writing: Buffer = Buffer.allocUnsafeSlow(SMALL);
  private from = 0;
  private to = 0;
  private busy = false;
  /** the reader is gone (EPIPE) or the fd failed: what comes is discarded */
  private closed = false;
  /** the most bytes held at once (tests assert the bound on it) */
  peak = 0;

  constructor(
    private readonly fd: number,
    readonly max: number,
  ) {
    super();
    // what is still queued when tsgid exits is written then, as pino does for its own destination
    process.once('exit', () => this.flushSync());
  }

  /** Bytes of memory its two Buffers take now (grown for a backlog, small again once it is written). */
  get allocated(): number {
    return this.filling.length + this.writing.length;
  }

  /** Bytes queued now, unwritten. */
  get queued(): number {
    return this.filled + this.to - this.from;
  }

  write(text: string): boolean {
    if (this.closed) return true;
    const bytes = Buffer.byteLength(text);
    if (this.queued + bytes > this.max) {
      this.emit('drop', text);
      return false;
    }
    if (this.filled + bytes > this.filling.length) this.filling = grown(this.filling, this.filled, Math.min(this.max, 2 ** Math.ceil(Math.log2(this.filled + bytes))));
    this.filled += this.filling.write(text, this.filled);
    this.peak = Math.max(this.peak, this.queued);
    if (!this.busy) this.next();
    return true;
  }

  /** The filled Buffer becomes the one being written; when nothing is left, both shrink back and 'drain'. */
  private next(): void {
    if (this.filled === 0) {
      this.busy = false;
      if (this.writing.length > SMALL) this.writing = Buffer.allocUnsafeSlow(SMALL);
      if (this.filling.length > SMALL) this.filling = Buffer.allocUnsafeSlow(SMALL);
      this.emit('drain');
      return;
    }
    const done = this.writing;
    this.writing = this.filling;
    this.from = 0;
    this.to = this.filled;
    this.filling = done;
    this.filled = 0;
    this.busy = true;
    this.send();
  }

  private send(): void {
    write(this.fd, this.writing, this.from, this.to - this.from, null, (err, n) => {
      if (err !== null) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.send(), RETRY_MS);
          return;
        }
        this.close(err);
        return;
      }
      this.from += n;
      if (this.from < this.to) this.send();
      else this.next();
    });
  }

  private close(err: Error): void {
    this.closed = true;
    this.busy = false;
    this.filled = 0;
    this.from = this.to = 0;
    this.emit('error', err);
  }

  /**
   * At exit: write what is left, synchronously. A write in flight may or may not have landed;
   * its rest is written again rather than lost.
   */
  flushSync(): void {
    if (this.closed) return;
    const parts = [this.writing.subarray(this.from, this.to), this.filling.subarray(0, this.filled)];
    this.from = this.to = this.filled = 0;
    for (const part of parts) {
      let off = 0;
      let tries = 0;
      while (off < part.length && tries < 1000) {
        try {
          off += writeSync(this.fd, part, off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
          tries++;
        }
      }
    }
  }
}

function grown(buf: Buffer, used: number, size: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(size);
  buf.copy(bigger, 0, 0, used);
  return bigger;
}
