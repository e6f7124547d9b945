/**
 * One sampler for the whole daemon: every `stats_interval` it reads memory and CPU of every
 * worker (and of the arbiter itself) in one batch, and hands the figures to the pools. It has no
 * timer of its own: the arbiter's tick asks it (`tick`) and wakes at the time it answers, so an
 * idle daemon wakes once a second for both, not once for each (and once more for the tick a
 * delivery used to ask for).
 */
import type { ProcessOps, ProcStats } from '../os/process-ops.js';

export interface Sampled {
  /** every process to read, the arbiter's own first */
  pids(): number[];
  deliver(stats: ReadonlyMap<number, ProcStats>): void;
}

/** A tick this close before the sample is due takes it: timers and the wall clock disagree by a millisecond or so. */
const EARLY_MS = 10;

export class Sampler {
  private dueAt = 0;
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

  /** From the arbiter's tick: takes a sample if one is due; returns when the next one is (Infinity once stopped). */
  tick(now: number): number {
    if (this.stopped) return Infinity;
    if (now + EARLY_MS >= this.dueAt) {
      this.dueAt = now + this.intervalMs;
      void this.sample();
    }
    return this.dueAt;
  }

  async sample(): Promise<void> {
    // a slow read (a loaded machine, pidusage off Linux) is skipped over, never stacked
    if (this.busy) return;
    this.busy = true;
    try {
      const stats = await this.ops.stats(this.target.pids());
      this.self = stats.get(process.pid);
      this.target.deliver(stats);
    } finally {
      this.busy = false;
    }
  }
}
