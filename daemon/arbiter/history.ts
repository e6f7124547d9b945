/**
 * What the dashboard draws over time, kept by tsgid so a page opened now shows the last minutes:
 * per app, one point per sampler tick (`stats_interval`, 1 s by default) in fixed rings of
 * HISTORY_POINTS, so memory is bounded whatever runs (15 min at 1 s). Fed from what the arbiter
 * already has on that tick: the app's request totals (by status class, duration histogram), its
 * workers' rss and cpu from the sampler, its exits. No timer of its own.
 */
import type { AppStatus, ExitRecord } from '../pool/app-pool.js';
import type { AppMetrics } from '../pool/app-metrics.js';
import { CODE_SLOTS, DURATION_BOUNDS } from '../pool/request-stats.js';

/** 15 minutes of 1 s points */
export const HISTORY_POINTS = 900;
/** workers drawn per app: a crash loop's short-lived workers beyond this drop out oldest first */
const MAX_WORKER_SERIES = 64;
/** exits kept per app, newest kept (a crash loop cannot grow it) */
const MAX_EXITS = 200;
/** the status classes drawn; 1xx, 6xx–9xx and aborted responses add up in 'other' */
export const CLASSES = ['2xx', '3xx', '4xx', '5xx', 'other'] as const;

function classOf(slot: number): number {
  return slot >= 2 && slot <= 5 ? slot - 2 : 4;
}

interface WorkerSeries {
  rss: Float64Array;
  cpu: Float64Array;
  /** the ring slot written last, and how many points ago: a series none of whose points is left is dropped */
  lastCount: number;
}

/** What GET /v1/apps/:name/history answers: aligned series, oldest first; null where nothing was measured. */
export interface AppHistory {
  interval_ms: number;
  /** epoch ms of each point */
  t: number[];
  /** responses per second by status class */
  requests: Record<(typeof CLASSES)[number], Array<number | null>>;
  /** seconds, from the histogram's delta between two points (the bucket's upper bound that holds the quantile) */
  latency: { p50: Array<number | null>; p99: Array<number | null> };
  workers: Array<{ id: number; rss: Array<number | null>; cpu: Array<number | null> }>;
  /** every worker exit inside the window, oldest first */
  restarts: ExitRecord[];
}

class AppRing {
  readonly t = new Float64Array(HISTORY_POINTS);
  readonly rates = CLASSES.map(() => new Float64Array(HISTORY_POINTS));
  readonly p50 = new Float64Array(HISTORY_POINTS);
  readonly p99 = new Float64Array(HISTORY_POINTS);
  readonly workers = new Map<number, WorkerSeries>();
  exits: ExitRecord[] = [];
  /** points written since the app was added */
  count = 0;
  private prev: { at: number; codes: number[]; buckets: number[] } | undefined;

  record(at: number, metrics: AppMetrics, status: AppStatus): void {
    const i = this.count % HISTORY_POINTS;
    this.t[i] = at;
    const prev = this.prev;
    const dt = prev === undefined ? 0 : (at - prev.at) / 1000;
    for (const r of this.rates) r[i] = NaN;
    this.p50[i] = NaN;
    this.p99[i] = NaN;
    if (prev !== undefined && dt > 0) {
      const per = new Array<number>(CLASSES.length).fill(0);
      for (let s = 0; s < CODE_SLOTS; s++) per[classOf(s)]! += Math.max(0, (metrics.requests.codes[s] ?? 0) - (prev.codes[s] ?? 0));
      for (let c = 0; c < CLASSES.length; c++) this.rates[c]![i] = per[c]! / dt;
      const delta = metrics.requests.buckets.map((n, b) => Math.max(0, n - (prev.buckets[b] ?? 0)));
      this.p50[i] = quantile(delta, 0.5);
      this.p99[i] = quantile(delta, 0.99);
    }
    this.prev = { at, codes: [...metrics.requests.codes], buckets: [...metrics.requests.buckets] };
    for (const s of this.workers.values()) {
      s.rss[i] = NaN;
      s.cpu[i] = NaN;
    }
    let live: Set<number> | undefined;
    for (const w of status.workers) {
      let s = this.workers.get(w.id);
      if (s === undefined) {
        // Full: a new worker takes the place of a gone one, oldest first, never of a running one.
        // (Each running worker beyond the cap once got a fresh pair of rings every tick, at once
        // evicted: half a megabyte a second of buffers at 100 workers, most of an idle daemon's
        // garbage collection.)
        if (this.workers.size >= MAX_WORKER_SERIES) {
          live ??= new Set(status.workers.map((x) => x.id));
          const gone = oldest(this.workers, live);
          if (gone === -1) continue;
          this.workers.delete(gone);
        }
        s = { rss: new Float64Array(HISTORY_POINTS).fill(NaN), cpu: new Float64Array(HISTORY_POINTS).fill(NaN), lastCount: 0 };
        this.workers.set(w.id, s);
      }
      s.rss[i] = w.rss ?? NaN;
      s.cpu[i] = w.cpu ?? NaN;
      s.lastCount = this.count;
    }
    for (const [id, s] of this.workers) if (this.count - s.lastCount >= HISTORY_POINTS) this.workers.delete(id);
    const seen = this.exits.at(-1)?.at ?? -Infinity;
    const fresh = status.recent_restarts.filter((e) => e.at > seen).toReversed();
    if (fresh.length > 0) this.exits = [...this.exits, ...fresh].slice(-MAX_EXITS);
    this.count++;
  }

  read(intervalMs: number, since: number): AppHistory {
    const n = Math.min(this.count, HISTORY_POINTS);
    const first = this.count - n;
    const slots = Array.from({ length: n }, (_, k) => (first + k) % HISTORY_POINTS).filter((s) => this.t[s]! > since);
    const pick = (a: Float64Array): Array<number | null> => slots.map((s) => (Number.isNaN(a[s]!) ? null : a[s]!));
    const t = slots.map((s) => this.t[s]!);
    // after `since`, the exits since then (one may fall between two points); else those in the window
    const after = Number.isFinite(since) ? since : (t[0] ?? Infinity) - intervalMs;
    return {
      interval_ms: intervalMs,
      t,
      requests: Object.fromEntries(CLASSES.map((c, k) => [c, pick(this.rates[k]!)])) as AppHistory['requests'],
      latency: { p50: pick(this.p50), p99: pick(this.p99) },
      workers: [...this.workers].map(([id, s]) => ({ id, rss: pick(s.rss), cpu: pick(s.cpu) })),
      restarts: this.exits.filter((e) => e.at > after),
    };
  }
}

/** The series of a worker not in `live` written to longest ago; -1 when every series is a live worker's. */
function oldest(workers: Map<number, WorkerSeries>, live: ReadonlySet<number>): number {
  let id = -1;
  let last = Infinity;
  for (const [k, s] of workers) if (!live.has(k) && s.lastCount < last) [id, last] = [k, s.lastCount];
  return id;
}

/**
 * The duration below which `q` of the requests in `buckets` (per bucket, not cumulative) fell:
 * the upper bound of the bucket holding that rank, as Prometheus' histogram_quantile would
 * without interpolation. Past the last bound: that bound (the histogram cannot say more). NaN
 * when there were no requests.
 */
export function quantile(buckets: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = q * total;
  let seen = 0;
  for (let b = 0; b < buckets.length; b++) {
    seen += buckets[b]!;
    if (seen >= rank) return DURATION_BOUNDS[Math.min(b, DURATION_BOUNDS.length - 1)]!;
  }
  return DURATION_BOUNDS.at(-1)!;
}

/** Every app's ring; the arbiter records on each sampler tick and drops an app when it is removed. */
export class History {
  private readonly apps = new Map<string, AppRing>();

  constructor(private intervalMs: number) {}

  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  record(at: number, metrics: AppMetrics, status: AppStatus): void {
    let ring = this.apps.get(status.name);
    if (ring === undefined) this.apps.set(status.name, (ring = new AppRing()));
    ring.record(at, metrics, status);
  }

  remove(app: string): void {
    this.apps.delete(app);
  }

  /** Every point after `since` (epoch ms); empty series for an app with no point yet (added this second). */
  read(app: string, since = -Infinity): AppHistory {
    return (this.apps.get(app) ?? new AppRing()).read(this.intervalMs, since);
  }
}
