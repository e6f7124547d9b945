/**
 * Lines a log could not take (a flood, a slow disk or stdout reader, a failed write), counted per
 * source (`shop stdout`, `shop access`) with the time of the first and the last, until a note says
 * so in the log itself: nothing is lost silently.
 */

/**
 * How much output one log may hold in memory, unwritten: about `max_size`, within these bounds.
 * The floor is a few pipe reads (64 KiB each, lines growing by their time and prefix): a burst
 * that one read delivers must fit even when the disk is idle.
 */
export const QUEUE_FLOOR = 256 * 1024;
export const QUEUE_CEILING = 1024 * 1024;

/** The queue bound for a log rotated at `maxSize` bytes (0: never rotated, so the ceiling). */
export function queueLimit(maxSize: number): number {
  return Math.min(QUEUE_CEILING, Math.max(QUEUE_FLOOR, maxSize === 0 ? QUEUE_CEILING : maxSize));
}

export interface DropCount {
  total: number;
  /** source → lines */
  bySource: Map<string, number>;
  /** ms since the epoch */
  first: number;
  last: number;
}

export class Drops {
  private pending: DropCount | undefined;

  get total(): number {
    return this.pending?.total ?? 0;
  }

  add(source: string, n = 1, now = Date.now()): void {
    const p = (this.pending ??= { total: 0, bySource: new Map(), first: now, last: now });
    p.total += n;
    p.last = now;
    p.bySource.set(source, (p.bySource.get(source) ?? 0) + n);
  }

  /** What was dropped since the last take; undefined if nothing. */
  take(): DropCount | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  /** A taken count whose note could not be written after all: counted again, ahead of newer drops. */
  restore(c: DropCount): void {
    const newer = this.pending;
    this.pending = { total: c.total, bySource: new Map(c.bySource), first: c.first, last: c.last };
    if (newer === undefined) return;
    for (const [source, n] of newer.bySource) this.add(source, n, newer.last);
    this.pending.first = Math.min(c.first, newer.first);
  }
}

/** `1200 line(s) dropped from 12:00:01.002Z to 12:00:03.410Z (shop stdout: 1190, shop stderr: 10): …` */
export function dropNote(c: DropCount, why: string): string {
  const sources = [...c.bySource].map(([s, n]) => `${s}: ${n}`).join(', ');
  return `${c.total} line(s) dropped from ${new Date(c.first).toISOString()} to ${new Date(c.last).toISOString()} (${sources}): ${why}`;
}
