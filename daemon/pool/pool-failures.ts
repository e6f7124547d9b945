/**
 * What a pool makes of its workers' failures: which exits count toward a crash loop (a kill from
 * outside does not, nor a boot timeout while others booted too, nor a new worker of a reload before
 * the old ones drain: that abandons the reload), the restart policy applied to those that do (restart-policy.ts: backoff or
 * give up), the app marked failed, and tried again on its own after restart.retry_failed.
 */
import type { AppConfig } from '../config/index.js';
import { TsgiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PoolReloads } from './pool-reload.js';
import { decideRestart, formatMs } from './restart-policy.js';
import type { WorkerRecord } from './worker-record.js';
import type { WorkerState } from './worker-state.js';

/** What failure handling needs of its pool. */
export interface FailureHost {
  config(): AppConfig;
  log: Logger;
  /** the app was asked to stop: its workers' exits are no failures */
  stopped(): boolean;
  /** how many workers take connections now */
  ready(): number;
  reloads: Pick<PoolReloads, 'claim' | 'abort'>;
}

export class PoolFailures {
  /** when the counted failures inside restart.window happened */
  private recent: number[] = [];
  private backoff = 0;
  private failedReason: string | undefined;
  private failedAt = 0;
  /** the latest counted crash (within min_uptime of ready), for `start` to see that it did not hold */
  private lastCountedCrash: { at: number; detail: string } | undefined;
  private bootError: string | undefined;
  private restartCount = 0;

  constructor(private readonly host: FailureHost) {}

  /** why the app is marked failed, if it is */
  get reason(): string | undefined {
    return this.failedReason;
  }

  get at(): number {
    return this.failedAt;
  }

  /** when a failed app is tried again on its own (restart.retry_failed), else undefined */
  get retryAt(): number | undefined {
    const retry = this.host.config().restart.retry_failed;
    return this.failedReason !== undefined && retry > 0 ? this.failedAt + retry : undefined;
  }

  /** no worker is spawned for the target before this (restart backoff) */
  get backoffUntil(): number {
    return this.backoff;
  }

  /** failures were counted inside restart.window */
  get counted(): boolean {
    return this.recent.length > 0;
  }

  get lastBootError(): string | undefined {
    return this.bootError;
  }

  /** workers that exited unasked, the new ones of a reload aside */
  get restarts(): number {
    return this.restartCount;
  }

  /** started again by hand: the count starts afresh */
  clear(): void {
    this.failedReason = undefined;
    this.recent = [];
    this.backoff = 0;
  }

  /** CrashLoopBackOff's rule: a failed app is tried again on its own, after restart.retry_failed. */
  retryDue(now: number): void {
    const retry = this.host.config().restart.retry_failed;
    if (this.failedReason === undefined || this.host.stopped() || retry === 0 || now < this.failedAt + retry) return;
    this.host.log.info(`${this.host.config().name}: trying again ${formatMs(retry)} after it was marked failed (restart.retry_failed)`);
    this.clear();
  }

  /** The earliest a backoff ends or a failed app is retried. */
  nextDeadline(lastNow: number): number {
    const t = this.backoff > lastNow ? this.backoff : Infinity;
    return Math.min(t, this.retryAt ?? Infinity);
  }

  /** TSGI_ERR_APP_FAILED once the app is marked failed */
  failedError(): TsgiError | undefined {
    return this.failedReason === undefined ? undefined : new TsgiError('TSGI_ERR_APP_FAILED', `${this.host.config().name}: ${this.failedReason}`);
  }

  /** Why a start asked at `since` did not hold: the app failed, or a worker crashed within min_uptime of ready. */
  unstableSince(since: number): TsgiError | undefined {
    const failed = this.failedError();
    if (failed !== undefined) return failed;
    const crash = this.lastCountedCrash;
    if (crash === undefined || crash.at < since) return undefined;
    const c = this.host.config();
    return new TsgiError('TSGI_ERR_APP_UNSTABLE', `${c.name}: ${crash.detail}, within restart.min_uptime (${formatMs(c.restart.min_uptime)}); it is being restarted with backoff: see its log`);
  }

  /** A worker could not even be spawned (its env_file is unreadable): noted for status and the log. */
  cannotSpawn(reason: string): void {
    this.bootError = reason;
    this.host.log.error(`${this.host.config().name}: cannot start a worker: ${reason}`);
  }

  /** ...and counts as a worker of `generation` that failed to boot. */
  spawnFailed(generation: number, reason: string, now: number): void {
    if (this.host.reloads.claim(generation, reason)) return;
    if (this.host.ready() === 0) this.fail(`boot failure: ${reason}`, now);
    else this.count(0, now);
  }

  /** A worker ended in `to` (not `stopped`, and not a job's run). */
  exited(w: WorkerRecord, to: WorkerState, now: number): void {
    const c = this.host.config();
    const how = w.exitSignal !== null ? `signal ${w.exitSignal}` : `code ${w.exitCode}`;
    if (w.bootError !== undefined) this.bootError = w.bootError;
    if (this.host.reloads.claim(w.generation, w.bootError ?? `a new worker exited (${how}) ${w.readyAt === null ? 'before it was ready' : 'while the old workers handed over to it (slow_start)'}`)) return;
    this.restartCount++;
    this.host.log.warn(`${c.name}: worker ${w.id} (pid ${w.pid}) ${to === 'failed' ? 'failed to boot' : 'exited'} (${how}, ${w.reason})`);
    if (this.host.stopped() || this.failedReason !== undefined) return;
    // a kill from outside is not the app's crash, nor a boot timeout while the host booted others too:
    // replaced at once (the boot pacer bounds how fast), never counted toward a crash loop
    if (w.reason === 'killed' || (w.reason === 'boot-timeout' && w.bootTimeoutShared)) return;
    if (to === 'failed' && w.reason !== 'boot-timeout' && this.host.ready() === 0) {
      // the code on disk does not load: looping on it helps nobody (gunicorn halts on APP_LOAD_ERROR)
      this.fail(`boot failure: ${w.bootError}`, now);
      return;
    }
    const uptime = w.readyAt === null ? 0 : now - w.readyAt;
    if (uptime < c.restart.min_uptime && w.readyAt !== null) this.lastCountedCrash = { at: now, detail: `worker ${w.id} exited (${how}) ${formatMs(uptime)} after it was ready` };
    this.count(uptime, now);
  }

  /** The restart policy's word on one more failure: back off, or give up. */
  private count(uptime: number, now: number): void {
    const { decision, failures } = decideRestart(this.host.config().restart, this.recent, now, uptime);
    this.recent = failures;
    if (decision.kind === 'give-up') this.fail(decision.message, now);
    else this.backoff = Math.max(this.backoff, now + decision.delay);
  }

  private fail(reason: string, now: number): void {
    if (this.failedReason !== undefined) return;
    const c = this.host.config();
    this.failedReason = reason;
    this.failedAt = now;
    const retry = c.restart.retry_failed;
    this.host.log.error(`${c.name}: marked failed: ${reason}${retry > 0 ? `; retrying in ${formatMs(retry)} (restart.retry_failed)` : ''}`);
    this.host.reloads.abort(new TsgiError('TSGI_ERR_APP_FAILED', `${c.name}: ${reason}`));
  }
}
