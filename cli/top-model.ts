/**
 * What `tsgictl top` knows, built from GET /v1/events: the latest status (snapshot, then a stats
 * event a second), worker events applied at once in between, and request rates from the
 * differences between two stats events. No I/O: the frame is drawn from this by top-view.ts.
 */
import type { AppStatus } from '../daemon/pool/app-pool.js';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import type { WorkerEvent, WorkerStatus } from '../daemon/pool/worker-record.js';

/** sparkline points kept per app, one a stats event */
export const HISTORY = 60;

const FINAL = new Set(['stopped', 'crashed', 'failed']);

export interface AppRates {
  /** requests per second over the last interval; undefined until two samples are in */
  rps: number | undefined;
  history: number[];
  /** per worker id */
  workers: Map<number, number>;
}

interface Sample {
  at: number;
  total: number | undefined;
  workers: Map<number, number>;
}

export class TopModel {
  status: DaemonStatus | undefined;
  readonly rates = new Map<string, AppRates>();
  private readonly samples = new Map<string, Sample>();

  /** Fold one event in; false for an event that changes nothing shown. */
  apply(event: string, data: unknown): boolean {
    if (event === 'snapshot' || event === 'stats') {
      // counts from before a reconnect are no baseline
      if (event === 'snapshot') this.samples.clear();
      const status = data as DaemonStatus;
      this.status = status;
      for (const app of status.apps) this.measure(app, status.uptime_ms);
      for (const name of this.rates.keys()) if (!status.apps.some((a) => a.name === name)) this.rates.delete(name);
      return true;
    }
    if (event === 'worker') return this.patch(data as WorkerEvent);
    return false;
  }

  /**
   * The app's `requests_total` counts every worker past and present, so a worker replaced between
   * two samples does not make the rate dip; each worker's own rate is from its own count.
   */
  private measure(app: AppStatus, at: number): void {
    const total = typeof app.requests_total === 'number' ? app.requests_total : undefined;
    const workers = new Map(app.workers.map((w) => [w.id, w.requests]));
    const prev = this.samples.get(app.name);
    this.samples.set(app.name, { at, total, workers });
    let rates = this.rates.get(app.name);
    if (rates === undefined) this.rates.set(app.name, (rates = { rps: undefined, history: [], workers: new Map() }));
    const dt = prev === undefined ? 0 : (at - prev.at) / 1000;
    if (prev === undefined || dt <= 0) return;
    rates.workers = new Map();
    let sum = 0;
    for (const [id, n] of workers) {
      // a worker new since the last sample started from zero
      const r = Math.max(0, n - (prev.workers.get(id) ?? 0)) / dt;
      rates.workers.set(id, r);
      sum += r;
    }
    rates.rps = total !== undefined && prev.total !== undefined ? Math.max(0, total - prev.total) / dt : sum;
    rates.history.push(rates.rps);
    if (rates.history.length > HISTORY) rates.history.shift();
  }

  private patch(e: WorkerEvent): boolean {
    const app = this.status?.apps.find((a) => a.name === e.app);
    if (app === undefined) return false;
    const i = app.workers.findIndex((w) => w.id === e.worker);
    if (FINAL.has(e.to)) {
      if (i >= 0) app.workers.splice(i, 1);
    } else if (i >= 0) {
      app.workers[i]!.state = e.to;
    } else {
      // shown at once; the next stats event brings the rest of its figures
      app.workers.push({ id: e.worker, pid: e.pid, state: e.to, started_at: e.at, ready_at: null, uptime_ms: 0, requests: 0, rss: null, cpu: null } as WorkerStatus);
    }
    return true;
  }
}
