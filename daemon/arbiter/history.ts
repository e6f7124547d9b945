/**
 * What the dashboard draws over time, kept by tsgid so a page opened now shows the last minutes:
 * per app, one point per sampler tick (`stats_interval`, 1 s by default) in fixed rings of
 * HISTORY_POINTS, so memory is bounded whatever runs (15 min at 1 s). Fed from what the arbiter
 * already has on that tick: the app's request totals (by status class, duration histogram), its
 * workers' rss and cpu from the sampler, its exits. No timer of its own.
 */
import type { ExitRecord, HistoryPoint } from '../pool/pool-status.js';

export type { HistoryPoint };
import { CODE_SLOTS, DURATION_BOUNDS, type RequestCounts } from '../pool/request-stats.js';

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

/**
 * What one point is made of, as the pool holds it (live references, nothing copied: at 100
 * workers a status and a metrics view built for each point were most of an idle daemon's
 * garbage): the app's request totals, its workers with the sampler's latest figures, its exits.
 */

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
  /** the totals at the previous point, to take rates and quantiles from the difference */
  private prevAt: number | undefined;
  private readonly prevCodes = new Float64Array(CODE_SLOTS);
  private readonly prevBuckets = new Float64Array(DURATION_BOUNDS.length + 1);
  /** reused for each point's per-class rates and histogram delta */
  private readonly perClass = new Float64Array(CLASSES.length);
  private readonly delta = new Float64Array(DURATION_BOUNDS.length + 1);

  record(at: number, point: HistoryPoint): void {
    const i = this.count % HISTORY_POINTS;
    this.t[i] = at;
    const { codes, buckets } = point.requests;
    const dt = this.prevAt === undefined ? 0 : (at - this.prevAt) / 1000;
    for (const r of this.rates) r[i] = NaN;
    this.p50[i] = NaN;
    this.p99[i] = NaN;
    if (this.prevAt !== undefined && dt > 0) {
      this.perClass.fill(0);
      for (let s = 0; s < CODE_SLOTS; s++) this.perClass[classOf(s)]! += Math.max(0, (codes[s] ?? 0) - this.prevCodes[s]!);
      for (let c = 0; c < CLASSES.length; c++) this.rates[c]![i] = this.perClass[c]! / dt;
      for (let b = 0; b < this.delta.length; b++) this.delta[b] = Math.max(0, (buckets[b] ?? 0) - this.prevBuckets[b]!);
      this.p50[i] = quantile(this.delta, 0.5);
      this.p99[i] = quantile(this.delta, 0.99);
    }
    this.prevAt = at;
    for (let s = 0; s < CODE_SLOTS; s++) this.prevCodes[s] = codes[s] ?? 0;
    for (let b = 0; b < this.prevBuckets.length; b++) this.prevBuckets[b] = buckets[b] ?? 0;
    for (const s of this.workers.values()) {
      s.rss[i] = NaN;
      s.cpu[i] = NaN;
    }
    let live: Set<number> | undefined;
    /** every series is a running worker's: the workers after it get none either this point */
    let full = false;
    for (const w of point.workers) {
      let s = this.workers.get(w.id);
      if (s === undefined) {
        if (full) continue;
        // Full: a new worker takes the place of a gone one, oldest first, never of a running one.
        // (Each running worker beyond the cap once got a fresh pair of rings every tick, at once
        // evicted: half a megabyte a second of buffers at 100 workers, most of an idle daemon's
        // garbage collection.)
        if (this.workers.size >= MAX_WORKER_SERIES) {
          live ??= new Set(point.workers.map((x) => x.id));
          const gone = oldest(this.workers, live);
          if (gone === -1) {
            full = true;
            continue;
          }
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
    // the exits after the last one kept, newest first in the point: most points have none
    const seen = this.exits.at(-1)?.at ?? -Infinity;
    const exits = point.recent_restarts;
    let fresh = 0;
    while (fresh < exits.length && exits[fresh]!.at > seen) fresh++;
    if (fresh > 0) this.exits = [...this.exits, ...exits.slice(0, fresh).toReversed()].slice(-MAX_EXITS);
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
export function quantile(buckets: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let b = 0; b < buckets.length; b++) total += buckets[b]!;
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

  record(at: number, point: HistoryPoint): void {
    let ring = this.apps.get(point.name);
    if (ring === undefined) this.apps.set(point.name, (ring = new AppRing()));
    ring.record(at, point);
  }

  remove(app: string): void {
    this.apps.delete(app);
  }

  /** Every point after `since` (epoch ms); empty series for an app with no point yet (added this second). */
  read(app: string, since = -Infinity): AppHistory {
    return (this.apps.get(app) ?? new AppRing()).read(this.intervalMs, since);
  }
}
