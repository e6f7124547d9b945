/**
 * Boots are paced: at most `limit` workers load their app at once, across every app of the daemon.
 * Spawning 62 workers at once on a small host made each boot 62 times slower, past `boot_timeout`,
 * and the timeouts were counted as a crash loop (issue #19); PM2 starts cluster instances one after
 * another. A pool takes a slot before it spawns and gives it back when the worker leaves `starting`
 * (ready, dead or drained), so `boot_timeout` counts from the start of a worker's turn.
 */
import { availableParallelism } from 'node:os';

export class BootPacer {
  private active = 0;

  constructor(private limit: number) {}

  /** `max_concurrent_boots`: 0 means twice the CPUs (at least 2). */
  static fromSetting(setting: number): BootPacer {
    return new BootPacer(BootPacer.resolve(setting));
  }

  static resolve(setting: number): number {
    return setting > 0 ? setting : Math.max(2, availableParallelism() * 2);
  }

  setLimit(setting: number): void {
    this.limit = BootPacer.resolve(setting);
  }

  /** Take a boot slot, if one is free. */
  take(): boolean {
    if (this.active >= this.limit) return false;
    this.active++;
    return true;
  }

  release(): void {
    if (this.active > 0) this.active--;
  }

  /** Boots under way now (each holds a slot). */
  get booting(): number {
    return this.active;
  }

  get max(): number {
    return this.limit;
  }
}
