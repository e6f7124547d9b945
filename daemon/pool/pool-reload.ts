/**
 * A pool's rolling reloads and hard restarts, one at a time, advanced by the pool's tick. A reload
 * boots the next generation beside the serving one; once every new worker is ready, new
 * connections move from the old workers to the new over the app's slow_start (routing.ts: the
 * old ones' share falls as the new ones' grows, while the new ones warm), and the old ones drain
 * at its end. If the new code does not boot, or a new worker fails before the old ones drain, the
 * reload is abandoned and the old workers keep serving. A restart drains every worker, then
 * converges on the target with the next generation.
 */
import { TsgiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Waiter } from './pool-waits.js';
import type { WorkerRecord } from './worker-record.js';
import type { ExitReason } from './worker-state.js';

interface Run {
  kind: 'reload' | 'restart';
  generation: number;
  drained: boolean;
  /** when every new worker was ready and the old ones began to give way (a reload with a slow_start) */
  handOverAt: number | undefined;
  error: string | undefined;
  waiters: Waiter[];
}

/** What a reload needs of its pool. */
export interface ReloadHost {
  name(): string;
  target(): number;
  /** the generation serving now; a run's workers are the next one */
  generation(): number;
  /** the run's generation is now the pool's */
  adopt(generation: number): void;
  serving(): WorkerRecord[];
  drain(w: WorkerRecord, reason: ExitReason, now: number): void;
  converge(now: number, generation: number): void;
  spawnUpTo(n: number, generation: number, now: number): void;
  /** the app's routing (routing.ts): its slow_start (ms), and `handOver(old, now)`: `old` give way to the new workers from `now` on (undefined: the hand-over is over) */
  ramp: { readonly slowStart: number; handOver(old: readonly WorkerRecord[] | undefined, now: number): void };
  log: Logger;
  /** ask the arbiter for a tick soon */
  changed(): void;
}

export class PoolReloads {
  private run: Run | undefined;
  /** reloads asked for while one runs are merged into this one */
  private nextRun: Run | undefined;

  constructor(private readonly host: ReloadHost) {}

  /** a reload or restart is under way */
  get active(): boolean {
    return this.run !== undefined;
  }

  enqueue(kind: Run['kind']): Promise<void> {
    return new Promise((resolve, reject) => {
      // a request made while a run is under way needs a run that starts after it; any number of
      // such requests share that one run
      if (this.nextRun === undefined) this.nextRun = { kind, generation: 0, drained: false, handOverAt: undefined, error: undefined, waiters: [] };
      else if (kind === 'restart') this.nextRun.kind = 'restart';
      this.nextRun.waiters.push({ resolve, reject });
      this.host.changed();
    });
  }

  /** The tick's share: starts the queued run once none is under way, advances it; false when none is. */
  tick(now: number): boolean {
    if (this.run === undefined && this.nextRun !== undefined) {
      this.run = this.nextRun;
      this.nextRun = undefined;
      this.run.generation = this.host.generation() + 1;
    }
    if (this.run === undefined) return false;
    this.advance(now);
    return true;
  }

  /** When the hand-over under way ends, for the arbiter's next tick (Infinity when none runs). */
  nextDeadline(): number {
    const at = this.run?.handOverAt;
    return at === undefined ? Infinity : at + this.host.ramp.slowStart;
  }

  /** A worker of the reload under way's generation failed: the reload is abandoned, the app not blamed. */
  claim(generation: number, error: string): boolean {
    if (this.run?.kind !== 'reload' || generation !== this.run.generation) return false;
    this.run.error ??= error;
    return true;
  }

  /** The app was marked failed: the run under way ends with that. */
  abort(err: TsgiError): void {
    if (this.run !== undefined) this.finish(err);
  }

  /** The app was stopped: the run under way and the queued one end with `err`. */
  cancel(err: TsgiError): void {
    for (const run of [this.run, this.nextRun]) for (const w of run?.waiters ?? []) w.reject(err);
    if (this.run?.handOverAt !== undefined) this.host.ramp.handOver(undefined, 0);
    this.run = undefined;
    this.nextRun = undefined;
  }

  private advance(now: number): void {
    const run = this.run!;
    const host = this.host;
    if (run.kind === 'restart') {
      if (!run.drained) {
        for (const w of host.serving()) host.drain(w, 'restart', now);
        run.drained = true;
        host.adopt(run.generation);
      }
      host.converge(now, run.generation);
      const fresh = host.serving().filter((w) => w.generation === run.generation);
      if (fresh.length >= host.target() && fresh.every((w) => w.state === 'ready')) this.finish(undefined);
      return;
    }
    const fresh = host.serving().filter((w) => w.generation === run.generation);
    if (run.error !== undefined) {
      for (const w of fresh) host.drain(w, 'abandoned', now);
      host.log.warn(`${host.name()}: reload abandoned, old workers keep serving: ${run.error}`);
      this.finish(new TsgiError('TSGI_ERR_APP_BOOT', `${host.name()}: reload abandoned, the new code did not boot: ${run.error}`));
      return;
    }
    host.spawnUpTo(host.target() - fresh.length, run.generation, now);
    if (fresh.length >= host.target() && fresh.every((w) => w.state === 'ready')) {
      const old = host.serving().filter((w) => w.generation !== run.generation);
      const span = host.ramp.slowStart;
      if (run.handOverAt === undefined && span > 0 && old.some((w) => w.state === 'ready')) {
        run.handOverAt = now;
        host.ramp.handOver(old, now);
      }
      // the old workers serve on, giving way, until the new ones are through their slow start
      if (run.handOverAt !== undefined && now < run.handOverAt + span) return;
      for (const w of old) host.drain(w, 'reload', now);
      host.adopt(run.generation);
      host.log.info(`${host.name()}: reloaded (generation ${run.generation})`);
      this.finish(undefined);
    }
  }

  private finish(err: TsgiError | undefined): void {
    const run = this.run!;
    this.run = undefined;
    if (run.handOverAt !== undefined) this.host.ramp.handOver(undefined, 0);
    for (const w of run.waiters) err === undefined ? w.resolve() : w.reject(err);
  }
}
