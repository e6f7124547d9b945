/**
 * A scheduled job's clock and memory (an app with `cron`, docs/TSGI.md §10). It owns no timer: the
 * pool asks it on each tick whether a run is due (`wants`), tells it what it started and what
 * exited, and reports `nextDeadline()` to the arbiter, whose one loop wakes at it. Runs never
 * overlap: a time that falls due during a run is skipped or queued (one at most), by `overlap`.
 */
import { Cron } from 'croner';
import type { AppConfig } from '../config/index.js';
import { TsgiError } from '../errors.js';

export type RunOutcome = 'running' | 'ok' | 'failed' | 'timeout' | 'skipped' | 'stopped';

export interface RunRecord {
  /** `schedule`: the cron expression fell due; `manual`: tsgictl run / POST /v1/apps/:name/run */
  trigger: 'schedule' | 'manual';
  /** when it started (a skipped run: when it fell due) */
  started_at: number;
  /** null while it runs */
  duration_ms: number | null;
  exit_code: number | null;
  signal: string | null;
  outcome: RunOutcome;
  /** the worker id of its process (null for a skipped run, or one that could not be spawned) */
  worker: number | null;
  /** why it failed to start, or was skipped */
  detail: string | null;
}

export interface JobStatus {
  cron: string;
  timezone: string;
  overlap: 'skip' | 'queue';
  next_run_at: number | null;
  queued: boolean;
  /** newest first, at most RUN_HISTORY */
  runs: RunRecord[];
}

/** enough to see a pattern (every run failing, runs getting longer), little enough to send every second */
export const RUN_HISTORY = 20;

export class CronJob {
  private schedule!: Cron;
  private nextAt: number | null = null;
  /** oldest first */
  private readonly history: RunRecord[] = [];
  /** a run asked for (schedule or manual) that has not started yet */
  private pending: RunRecord['trigger'] | undefined;
  private live: { id: number; record: RunRecord; deadline: number; timedOut: boolean } | undefined;

  constructor(
    private config: AppConfig,
    now: number,
  ) {
    this.setConfig(config, now);
  }

  /** A new expression, zone or timeout applies from now; history and a live run are kept. */
  setConfig(config: AppConfig, now: number): void {
    this.config = config;
    this.schedule = new Cron(config.cron!, { ...(config.cron_timezone !== undefined && { timezone: config.cron_timezone }) });
    this.nextAt = this.after(now);
  }

  /** Called every tick while the app runs: a time that fell due becomes a pending run, or a skipped one. */
  tick(now: number): void {
    if (this.nextAt === null || now < this.nextAt) return;
    // times missed while tsgid was busy or the app stopped collapse into this one
    this.nextAt = this.after(now);
    this.trigger('schedule', now);
  }

  /** tsgictl run: 'started' or 'queued', or TSGI_ERR_JOB_RUNNING while a run goes and overlap is skip. */
  runNow(): 'started' | 'queued' {
    if (this.live !== undefined && this.config.overlap === 'skip') {
      throw new TsgiError('TSGI_ERR_JOB_RUNNING', `${this.config.name}: a run is still going (worker ${this.live.id}, started ${new Date(this.live.record.started_at).toISOString()}); overlap is skip`);
    }
    // a run already queued is the run asked for: no second one is queued behind it
    this.pending ??= 'manual';
    return this.live === undefined ? 'started' : 'queued';
  }

  /** Restarting the app's schedule from now (a start after a stop): no run is owed for the time stopped. */
  resume(now: number): void {
    this.nextAt = this.after(now);
  }

  /** A run should be spawned now. */
  get wants(): boolean {
    return this.pending !== undefined && this.live === undefined;
  }

  started(id: number, now: number): void {
    const record: RunRecord = { trigger: this.pending ?? 'manual', started_at: now, duration_ms: null, exit_code: null, signal: null, outcome: 'running', worker: id, detail: null };
    this.pending = undefined;
    const limit = this.config.run_timeout;
    this.live = { id, record, deadline: limit > 0 ? now + limit : Infinity, timedOut: false };
    this.push(record);
  }

  /** The run's process could not be spawned (its env_file is unreadable): a failed run, not a failed app. */
  startFailed(reason: string, now: number): void {
    this.push({ trigger: this.pending ?? 'manual', started_at: now, duration_ms: 0, exit_code: null, signal: null, outcome: 'failed', worker: null, detail: reason });
    this.pending = undefined;
  }

  /** The live run's worker id when it is past run_timeout and not yet told so (once). */
  overdue(now: number): number | undefined {
    const live = this.live;
    if (live === undefined || live.timedOut || now < live.deadline) return undefined;
    live.timedOut = true;
    return live.id;
  }

  /** A worker exited: true when it was this job's run (recorded; it is no crash to restart). */
  finished(id: number, code: number | null, signal: string | null, stopped: boolean, now: number, detail?: string): boolean {
    const live = this.live;
    if (live === undefined || live.id !== id) return false;
    this.live = undefined;
    const r = live.record;
    r.duration_ms = now - r.started_at;
    r.exit_code = code;
    r.signal = signal;
    r.outcome = live.timedOut ? 'timeout' : stopped ? 'stopped' : code === 0 ? 'ok' : 'failed';
    // a job module that did not load says why (its boot error); a program's exit code says the rest
    if (detail !== undefined) r.detail = detail;
    return true;
  }

  nextDeadline(): number {
    let t = this.nextAt ?? Infinity;
    if (this.live !== undefined && !this.live.timedOut) t = Math.min(t, this.live.deadline);
    return t;
  }

  status(): JobStatus {
    return {
      cron: this.config.cron!,
      timezone: this.config.cron_timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      overlap: this.config.overlap,
      next_run_at: this.nextAt,
      queued: this.pending !== undefined && this.live !== undefined,
      runs: this.history.toReversed(),
    };
  }

  /** true when a run will start (now or after the live one), false when this time was skipped */
  private trigger(trigger: RunRecord['trigger'], now: number): boolean {
    if (this.live === undefined || (this.config.overlap === 'queue' && this.pending === undefined)) {
      this.pending ??= trigger;
      return true;
    }
    const why = this.pending !== undefined ? 'a run is already queued behind the one going' : `run of worker ${this.live.id} still going (overlap: skip)`;
    this.push({ trigger, started_at: now, duration_ms: 0, exit_code: null, signal: null, outcome: 'skipped', worker: null, detail: why });
    return false;
  }

  private push(r: RunRecord): void {
    this.history.push(r);
    if (this.history.length > RUN_HISTORY) this.history.shift();
  }

  private after(now: number): number | null {
    return this.schedule.nextRun(new Date(now))?.getTime() ?? null;
  }
}

/** `workers`/`tsgictl scale` on a scheduled job: each run is one process and runs never overlap. */
export function jobNotScalable(app: string): TsgiError {
  return new TsgiError('TSGI_ERR_JOB_NOT_SCALABLE', `${app} is a scheduled job (cron): each run is one process and runs never overlap, so it has no workers to scale (for runs in parallel, make several apps, or have one run do the work in parallel)`);
}
