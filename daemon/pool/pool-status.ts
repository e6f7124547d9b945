/**
 * What status, the API, the dashboard, metrics and history read from a pool: its state, its status
 * record and its metrics view, built from what the pool hands over (PoolReading), and its latest
 * exits, kept here because only readers need them.
 */
import { formatListen, type AppConfig } from '../config/index.js';
import type { AppMetrics, AppMetricsTotals } from './app-metrics.js';
import type { RequestCounts } from './request-stats.js';
import type { BalanceName } from './balance/policy.js';
import type { CronJob, JobStatus } from './cron-job.js';
import type { PoolFailures } from './pool-failures.js';
import type { WorkerRecord, WorkerStatus } from './worker-record.js';
import type { AppState, ExitReason, WorkerState } from './worker-state.js';

export interface ExitRecord {
  worker: number;
  pid: number | undefined;
  state: WorkerState;
  reason: ExitReason | undefined;
  code: number | null;
  signal: string | null;
  at: number;
}

export interface AppStatus {
  name: string;
  state: AppState;
  /** the app's `balance` policy */
  balance: BalanceName;
  target: number;
  ready: number;
  generation: number;
  restarts: number;
  listen: string[];
  pending_connections: number;
  failed_reason: string | null;
  /** when a failed app is tried again on its own (restart.retry_failed), else null */
  retry_at: number | null;
  last_boot_error: string | null;
  last_exit: ExitRecord | null;
  /** every worker exit (crash, reload, recycle, scale…), newest first, at most RECENT_EXITS */
  recent_restarts: ExitRecord[];
  /** responses served since the app was added, by all its workers past and present (never decreases) */
  requests_total: number;
  workers: WorkerStatus[];
  /** a scheduled job's (`cron`) schedule and last runs; null for other apps */
  job: JobStatus | null;
}

export interface AppMetricsView extends AppMetrics {
  name: string;
  target: number;
  ready: number;
  /** `codes`: the worker's responses by status class, as of its last heartbeat (request-stats.ts) */
  workers: Array<{ id: number; requests: number; codes: readonly number[]; inflight: number; connections: number; rss: number | null; cpuSeconds: number | null }>;
}

/** enough to see a crash loop or the last reloads on the dashboard, little enough to send every second */
export const RECENT_EXITS = 20;

/** A pool's latest exits: the last one, and a ring of the latest RECENT_EXITS. */
export class ExitLog {
  private lastExit: ExitRecord | undefined;
  /** oldest first */
  private readonly ring: ExitRecord[] = [];

  record(e: ExitRecord): void {
    this.lastExit = e;
    this.ring.push(e);
    if (this.ring.length > RECENT_EXITS) this.ring.shift();
  }

  get last(): ExitRecord | undefined {
    return this.lastExit;
  }

  /** newest first */
  recent(): ExitRecord[] {
    return this.ring.toReversed();
  }
}

/** What the readers read from a pool, handed over at each reading. */
export interface PoolReading {
  name: string;
  config: AppConfig;
  /** the addresses actually bound */
  listening: string[];
  wanted: 'running' | 'stopped';
  target: number;
  generation: number;
  /** a reload or restart is under way */
  reloading: boolean;
  job: CronJob | undefined;
  failures: PoolFailures;
  exits: ExitLog;
  totals: AppMetricsTotals;
  /** workers taking connections */
  ready: number;
  /** connections held for a worker */
  waiting: number;
  balance: BalanceName;
  /** every live worker */
  workers: readonly WorkerRecord[];
}

export function appState(p: PoolReading, now: number): AppState {
  if (p.wanted === 'stopped') return p.workers.length > 0 ? 'stopping' : 'stopped';
  if (p.failures.reason !== undefined) return 'failed';
  if (p.reloading) return 'reloading';
  // a job is running while its schedule is on, whether a run goes now or not
  if (p.job !== undefined) return 'running';
  const serving = p.workers.filter((w) => w.state === 'starting' || w.state === 'ready');
  if (serving.length === p.target && p.ready === p.target) return 'running';
  return p.failures.counted || p.failures.backoffUntil > now ? 'degraded' : 'starting';
}

export function appStatus(p: PoolReading, now: number): AppStatus {
  return {
    name: p.name,
    state: appState(p, now),
    balance: p.balance,
    target: p.target,
    ready: p.ready,
    generation: p.generation,
    restarts: p.failures.restarts,
    listen: p.listening.length > 0 ? p.listening : p.config.listen.map(formatListen),
    pending_connections: p.waiting,
    failed_reason: p.failures.reason ?? null,
    retry_at: p.failures.retryAt ?? null,
    last_boot_error: p.failures.lastBootError ?? null,
    last_exit: p.exits.last ?? null,
    recent_restarts: p.exits.recent(),
    requests_total: p.totals.requests.codes.reduce((a, b) => a + b, 0),
    workers: p.workers.map((w) => w.status(now)),
    job: p.job?.status() ?? null,
  };
}

/** Totals that survive worker replacement, and each live worker as the arbiter last saw it. */
export function appMetrics(p: PoolReading): AppMetricsView {
  const workers = p.workers.map((w) => ({ id: w.id, requests: w.requests, codes: [...w.counts.codes], inflight: w.inflight, connections: w.connections, rss: w.rss, cpuSeconds: w.cpuSeconds }));
  return { name: p.name, target: p.target, ready: p.ready, ...p.totals.snapshot(), workers };
}

/** What the history ring (arbiter/history.ts) records of an app each second. */
export interface HistoryPoint {
  name: string;
  requests: Pick<RequestCounts, 'codes' | 'buckets'>;
  workers: ReadonlyArray<{ readonly id: number; readonly rss: number | null; readonly cpu: number | null }>;
  /** newest first, as in AppStatus */
  recent_restarts: readonly ExitRecord[];
}

/** One point of the app's history: the pool's own counters and workers, nothing copied but its last exits. */
export function historyPoint(p: PoolReading): HistoryPoint {
  return { name: p.name, requests: p.totals.requests, workers: p.workers, recent_restarts: p.exits.recent() };
}
