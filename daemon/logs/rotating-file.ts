/**
 * One log file, written without ever blocking the arbiter: `write()` only queues the line; one
 * async loop appends queued lines in batches and rotates by size at line boundaries, so no line
 * is lost or split across files. When the disk is slower than the lines come, the queue grows to
 * about `max_size` bytes (queueLimit: at least 256 KiB, at most 1 MiB), then lines are dropped and
 * counted per source, and a `[tsgi] N line(s) dropped from … to … (shop stdout: N)` note is
 * written right after the batch that was queued when they were dropped: it follows the lines
 * before the drops, so it is in the newest file (or the one before) when a flood ends, not rotated
 * away behind a queue of older lines.
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
import { dropNote, Drops, queueLimit, type DropCount } from './drops.js';
import { noteLine } from './line-format.js';

export interface Rotation {
  /** bytes; 0: never rotate */
  maxSize: number;
  keep: number;
  gzip: boolean;
}

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
  /** each queued line's source, for the drop note */
  private sources: string[] = [];
  private queuedBytes = 0;
  /** lines given to write() since the pump last took the queue: those queued and those dropped */
  private queueLines = 0;
  private readonly drops = new Drops();
  /** unwritten bytes held before lines are dropped */
  readonly maxQueued: number;
  private retryTimer: NodeJS.Timeout | undefined;
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
  ) {
    this.maxQueued = queueLimit(rotation.maxSize);
  }

  /** Bytes queued in memory now, unwritten. */
  get queued(): number {
    return this.queuedBytes;
  }

  /** Queue one line (no newline); `source` names it in a drop note. Never throws, never waits. */
  write(line: string, source = 'tsgi'): void {
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
    if (this.queuedBytes + bytes > this.maxQueued || Date.now() < this.retryAt) this.drops.add(source);
    else {
      this.queue.push(text);
      this.sources.push(source);
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
    clearTimeout(this.retryTimer);
    // a note still waiting out a failed write's pause gets its last chance
    const c = this.drops.take();
    if (c !== undefined) {
      if (this.running) this.drops.restore(c);
      else await this.writeNote(c);
    }
    await this.closeHandle();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queueLines > 0 || this.reopenAsked || (this.drops.total > 0 && Date.now() >= this.retryAt)) {
        if (this.reopenAsked) {
          this.reopenAsked = false;
          await this.closeHandle();
        }
        const items = this.queue;
        const sources = this.sources;
        const lines = this.queueLines;
        this.queue = [];
        this.sources = [];
        this.queuedBytes = 0;
        this.queueLines = 0;
        if (Date.now() < this.retryAt) {
          for (const source of sources) this.drops.add(source);
          this.settle(lines);
          continue;
        }
        // the lines dropped so far came once this batch had filled the queue: the note follows it
        const dropped = this.drops.take();
        if (items.length > 0) await this.append(items, sources);
        if (dropped !== undefined) {
          if (Date.now() < this.retryAt) this.drops.restore(dropped);
          else await this.writeNote(dropped);
        }
        this.settle(lines);
      }
    } finally {
      this.running = false;
    }
  }

  private async writeNote(c: DropCount): Promise<void> {
    const note = noteLine(new Date().toISOString(), dropNote(c, 'the log file could not keep up, or could not be written'));
    if (!(await this.append([`${note}\n`]))) this.drops.restore(c);
  }

  private settle(lines: number): void {
    this.settled += lines;
    if (this.waiting.length === 0) return;
    const still = this.waiting.filter((w) => w.upTo > this.settled);
    for (const w of this.waiting) if (w.upTo <= this.settled) w.resolve();
    this.waiting = still;
  }

  /**
   * Appends lines in order, rotating between two lines whenever the next one would not fit.
   * false: a write failed, and the lines not written are counted as dropped (by `sources`).
   */
  private async append(items: string[], sources: string[] = []): Promise<boolean> {
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
      return true;
    } catch (err) {
      for (const source of sources.slice(i)) this.drops.add(source);
      this.retryAt = Date.now() + RETRY_MS;
      if (!this.failing) this.onError(`${this.path}: ${(err as Error).message}; dropping lines for ${RETRY_MS}ms, then trying again`);
      this.failing = true;
      // the drop note is due after the pause even if no line comes to start the pump again
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.pump(), RETRY_MS).unref();
      await this.closeHandle();
      return false;
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
