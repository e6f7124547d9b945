/**
 * One log file, written without ever blocking the arbiter: `write()` only queues the line; one
 * async loop appends queued lines in batches and rotates by size at line boundaries, so no line
 * is lost or split across files. When the disk is slower than the lines come, the queue grows to
 * MAX_QUEUED bytes, then lines are dropped and counted, and a `[tsgi] N line(s) dropped` note is
 * written in their place once the disk catches up.
 *
 * Rotation (gunicorn has none; this is logrotate's scheme): `x.log` → `x.log.1` → … → `x.log.K`,
 * the oldest deleted; with gzip each rotated file becomes `x.log.1.gz`, compressed in the
 * background (one whose compression failed stays plain, and is shifted all the same). A path
 * moved away by someone else is not rotated: the next line starts a new file there. `reopen()` (SIGUSR1) closes and reopens the path, for an external logrotate that
 * has renamed the file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { noteLine } from './line-format.js';

export interface Rotation {
  /** bytes; 0: never rotate */
  maxSize: number;
  keep: number;
  gzip: boolean;
}

/** Unwritten bytes a file may hold in memory before lines are dropped. */
export const MAX_QUEUED = 8 * 1024 * 1024;
/** Bytes appended per write call. */
const BATCH = 256 * 1024;
/** New log files: read by the owner and its group (nginx and logrotate's default is 0640 too). */
const LOG_MODE = 0o640;

/** After a failed open or write, lines are dropped (and counted) for this long before the next try. */
const RETRY_MS = 1000;
const CUT = ' [cut]';
/** a rotated file's names: plain, and gzipped once its compression is done */
const EXTS = ['', '.gz'];

export class RotatingFile {
  private queue: string[] = [];
  private queuedBytes = 0;
  /** lines given to write() since the pump last took the queue: those queued and those dropped */
  private queueLines = 0;
  private dropped = 0;
  private fh: FileHandle | undefined;
  private size = 0;
  private running = false;
  private reopenAsked = false;
  private retryAt = 0;
  /** set from a failure until the next successful write: a failure is told once, not per line */
  private failing = false;
  private compressing: Promise<void> = Promise.resolve();
  /** lines given to write() so far, and how many of them are written or dropped */
  private taken = 0;
  private settled = 0;
  /** flush() callers, each waiting for `settled` to reach what `taken` was when it asked */
  private waiting: Array<{ upTo: number; resolve: () => void }> = [];

  constructor(
    readonly path: string,
    private readonly rotation: Rotation,
    /** told once per failure episode, not once per line */
    private readonly onError: (message: string) => void,
  ) {}

  /** Queue one line (no newline). Never throws, never waits. */
  write(line: string): void {
    let text = `${line}\n`;
    let bytes = Buffer.byteLength(text);
    const max = this.rotation.maxSize;
    if (max > 0 && bytes > max) {
      // a line longer than a whole file is cut, so that no file ever passes max_size;
      // 4 bytes spare for a character cut in half, which decodes as one 3-byte U+FFFD
      const keep = Buffer.from(line).subarray(0, max - Buffer.byteLength(CUT) - 5).toString();
      text = `${keep}${CUT}\n`;
      bytes = Buffer.byteLength(text);
    }
    this.taken++;
    // a dropped line is settled in its turn, with the batch it would have been in
    this.queueLines++;
    if (this.queuedBytes + bytes > MAX_QUEUED || Date.now() < this.retryAt) this.dropped++;
    else {
      this.queue.push(text);
      this.queuedBytes += bytes;
    }
    void this.pump();
  }

  /** Close and reopen the path (after an external logrotate moved the file). */
  reopen(): void {
    this.reopenAsked = true;
    this.retryAt = 0;
    void this.pump();
  }

  /**
   * Resolves once every line queued so far is written (or dropped) and any compression is done.
   * Lines queued after the call are not waited for, so a busy log cannot keep a reader waiting.
   */
  async flush(): Promise<void> {
    const upTo = this.taken;
    if (this.settled < upTo) await new Promise<void>((resolve) => this.waiting.push({ upTo, resolve }));
    await this.compressing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.closeHandle();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queueLines > 0 || this.reopenAsked) {
        if (this.reopenAsked) {
          this.reopenAsked = false;
          await this.closeHandle();
        }
        const items = this.queue;
        const lines = this.queueLines;
        this.queue = [];
        this.queuedBytes = 0;
        this.queueLines = 0;
        if (items.length === 0 || Date.now() < this.retryAt) {
          this.dropped += items.length;
          this.settle(lines);
          continue;
        }
        if (this.dropped > 0) {
          items.unshift(`${noteLine(new Date().toISOString(), `${this.dropped} line(s) dropped: the log file could not keep up, or could not be written`)}\n`);
          this.dropped = 0;
        }
        await this.append(items);
        this.settle(lines);
      }
    } finally {
      this.running = false;
    }
  }

  private settle(lines: number): void {
    this.settled += lines;
    if (this.waiting.length === 0) return;
    const still = this.waiting.filter((w) => w.upTo > this.settled);
    for (const w of this.waiting) if (w.upTo <= this.settled) w.resolve();
    this.waiting = still;
  }

  /** Appends lines in order, rotating between two lines whenever the next one would not fit. */
  private async append(items: string[]): Promise<void> {
    const max = this.rotation.maxSize;
    let i = 0;
    try {
      while (i < items.length) {
        if (this.fh === undefined) await this.open();
        let chunk = '';
        let bytes = 0;
        while (i < items.length && bytes < BATCH) {
          const n = Buffer.byteLength(items[i]!);
          if (max > 0 && this.size + bytes + n > max && this.size + bytes > 0) break;
          chunk += items[i];
          bytes += n;
          i++;
        }
        if (bytes > 0) {
          await writeAll(this.fh!, Buffer.from(chunk));
          this.size += bytes;
          this.failing = false;
        }
        if (i < items.length && max > 0 && this.size + Buffer.byteLength(items[i]!) > max) await this.rotate();
      }
    } catch (err) {
      this.dropped += items.length - i;
      this.retryAt = Date.now() + RETRY_MS;
      if (!this.failing) this.onError(`${this.path}: ${(err as Error).message}; dropping lines for ${RETRY_MS}ms, then trying again`);
      this.failing = true;
      await this.closeHandle();
    }
  }

  private async open(): Promise<void> {
    // logs may hold what apps print about their users: the owner and the group (adm) only
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    const fh = await open(this.path, 'a', LOG_MODE);
    this.size = (await fh.stat()).size;
    this.fh = fh;
  }

  private async closeHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {});
  }

  private async rotate(): Promise<void> {
    await this.closeHandle();
    // the previous rotation's compression must finish before its file is shifted
    await this.compressing;
    this.size = 0;
    // moved away (an external logrotate whose SIGUSR1 has not come yet): the lines so far are in
    // the moved file, so there is nothing to shift; the next open starts the path anew
    if (!(await exists(this.path))) return;
    const { keep, gzip } = this.rotation;
    if (keep === 0) {
      await rm(this.path, { force: true });
      return;
    }
    // both names at every position: a file whose gzip failed stays plain, and must move on like
    // the others, not be overwritten by the next x.log.1
    for (const ext of EXTS) await rm(`${this.path}.${keep}${ext}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) for (const ext of EXTS) await renameIfThere(`${this.path}.${i}${ext}`, `${this.path}.${i + 1}${ext}`);
    if ((await renameIfThere(this.path, `${this.path}.1`)) && gzip) this.compressing = this.compress(`${this.path}.1`);
  }

  private async compress(file: string): Promise<void> {
    try {
      await pipeline(createReadStream(file), createGzip(), createWriteStream(`${file}.gz.tmp`, { mode: LOG_MODE }));
      await rename(`${file}.gz.tmp`, `${file}.gz`);
      await rm(file, { force: true });
    } catch (err) {
      // the rotated file stays, uncompressed
      this.onError(`${file}: could not gzip it: ${(err as Error).message}`);
      await rm(`${file}.gz.tmp`, { force: true }).catch(() => {});
    }
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

/** true: renamed; false: `from` was not there */
async function renameIfThere(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return false;
  }
}
