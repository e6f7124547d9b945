/**
 * One sampler for the whole daemon: every `stats_interval` it reads memory and CPU of every
 * worker (and of the arbiter itself) in one batch, and hands the figures to the pools. It has no
 * timer of its own: the arbiter's tick asks it (`tick`) and wakes at the time it answers, so an
 * idle daemon wakes once a second for both, not once for each (and once more for the tick a
 * delivery used to ask for).
 *
 * Read in full only while someone looks: every `stats_interval` for WATCH_MS after a status,
 * metrics or history read (the dashboard and `tsgictl top` read each second), and otherwise every
 * UNWATCHED_EVERY intervals, in between only the apps that enforce `max_memory` (`limited`
 * rounds). The figures of the others stand meanwhile (status shows them, history repeats them).
 */
import type { ProcessOps, ProcStats } from '../os/process-ops.js';

export interface Sampled {
  /** the processes to read, the arbiter's own first; `limited`: only the workers of apps that enforce max_memory */
  pids(limited: boolean): number[];
  deliver(stats: ReadonlyMap<number, ProcStats>): void;
}

/** A tick this close before the sample is due takes it: timers and the wall clock disagree by a millisecond or so. */
const EARLY_MS = 10;
/** A read of the figures keeps them fresh (read every interval) this long. */
export const WATCH_MS = 10_000;
/** A worker ready less than this long ago is read every interval, looked at or not: it has no figures of its own before. */
export const FRESH_MS = 5_000;
/** While nobody looks, every worker is read every this many intervals. */
export const UNWATCHED_EVERY = 5;

export class Sampler {
  private dueAt = 0;
  /** when every worker was read last */
  private fullAt = -Infinity;
  private watchedAt = -Infinity;
  private stopped = false;
  private busy = false;
  /** the arbiter's own figures, from the latest sample */
  self: ProcStats | undefined;

  constructor(
    private readonly ops: ProcessOps,
    private readonly target: Sampled,
    private intervalMs: number,
  ) {}

  setInterval(ms: number): void {
    this.dueAt = Math.min(this.dueAt, this.ops.now() + ms);
    this.intervalMs = ms;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Someone reads the figures (status, metrics, history): they are read in full every interval for
   * WATCH_MS. True when the latest full read is older than an interval: the caller asks for a tick
   * now, so the next read sees fresh figures (this one gets the latest, at most UNWATCHED_EVERY
   * intervals old).
   */
  watched(now: number): boolean {
    this.watchedAt = now;
    if (now - this.fullAt <= this.intervalMs + EARLY_MS) return false;
    this.dueAt = now;
    return true;
  }

  /** From the arbiter's tick: takes a sample if one is due; returns when the next one is (Infinity once stopped). */
  tick(now: number): number {
    if (this.stopped) return Infinity;
    if (now + EARLY_MS >= this.dueAt) {
      this.dueAt = now + this.intervalMs;
      const full = now - this.watchedAt < WATCH_MS || now + EARLY_MS - this.fullAt >= UNWATCHED_EVERY * this.intervalMs;
      if (full) this.fullAt = now;
      void this.sample(!full);
    }
    return this.dueAt;
  }

  async sample(limited = false): Promise<void> {
    // a slow read (a loaded machine, pidusage off Linux) is skipped over, never stacked
    if (this.busy) return;
    this.busy = true;
    try {
      const stats = await this.ops.stats(this.target.pids(limited), limited);
      this.self = stats.get(process.pid);
      this.target.deliver(stats);
    } finally {
      this.busy = false;
    }
  }
}
