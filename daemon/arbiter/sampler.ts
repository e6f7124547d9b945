/**
 * One sampler for the whole daemon: every `stats_interval` it reads memory and CPU of every
 * worker (and of the arbiter itself) in one batch, and hands the figures to the pools. With 100
 * workers that is one timer and one batch of /proc reads a second, not 100 timers.
 */
import type { ProcessOps, ProcStats } from '../os/process-ops.js';

export interface Sampled {
  pids(): number[];
  deliver(stats: ReadonlyMap<number, ProcStats>): void;
}

export class Sampler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** the arbiter's own figures, from the latest sample */
  self: ProcStats | undefined;

  constructor(
    private readonly ops: ProcessOps,
    private readonly target: Sampled,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async sample(): Promise<void> {
    // a slow read (a loaded machine) is skipped over, never stacked
    if (this.busy) return;
    this.busy = true;
    try {
      const stats = await this.ops.stats([process.pid, ...this.target.pids()]);
      this.self = stats.get(process.pid);
      this.target.deliver(stats);
    } finally {
      this.busy = false;
    }
  }
}
