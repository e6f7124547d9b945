/**
 * GET /metrics in the Prometheus text format, through prom-client's Registry (a private one,
 * never the global default). Every figure is read at scrape time from the arbiter's aggregates:
 * the daemon keeps no per-request state of its own, and workers are never asked anything.
 *
 * The families are prom-client custom metrics (an object with `get()`): the counts arrive
 * pre-aggregated, and the duration histogram pre-bucketed, from the workers' heartbeats, which
 * prom-client's Counter and Histogram (made to observe events one by one) cannot take as they are.
 */
import type { Metric, Registry } from 'prom-client';
import type { AppMetricsView } from '../daemon/pool/app-pool.js';
import { codeLabel, DURATION_BOUNDS } from '../daemon/pool/request-stats.js';

export interface MetricsSource {
  metrics(): { uptime_ms: number; upgrades: { ok: number; failed: number }; apps: AppMetricsView[] };
}

type Labels = Record<string, string | number>;
interface Sample {
  labels: Labels;
  value: number;
  /** for a histogram's _bucket, _sum and _count lines */
  metricName?: string;
}
type Snapshot = ReturnType<MetricsSource['metrics']>;

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (test/metrics.test.ts checks they agree), without loading it */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * One registry per API instance; the returned function renders a scrape. prom-client (~12 MB of
 * the daemon's RSS) is loaded at the first scrape, not at start: a daemon nobody scrapes never
 * pays for it.
 */
export function prometheusExposition(source: MetricsSource): () => Promise<string> {
  let render: Promise<() => Promise<string>> | undefined;
  return async () => (await (render ??= import('prom-client').then(({ Registry }) => exposition(new Registry(), source))))();
}

function exposition(registry: Registry, source: MetricsSource): () => Promise<string> {
  // one snapshot per scrape, shared by every family, so they agree with each other
  let snap: Snapshot | undefined;
  const family = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: (s: Snapshot) => Sample[]): void => {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum',
      collect() {},
      get: async () => ({ name, help, type, aggregator: 'sum', values: samples(snap ?? source.metrics()) }),
    };
    registry.registerMetric(metric as unknown as Metric);
  };

  family('tsgi_daemon_uptime_seconds', 'Seconds since tsgid started.', 'gauge', (s) => [{ labels: {}, value: s.uptime_ms / 1000 }]);
  family('tsgi_daemon_upgrades_total', 'Upgrades of tsgid itself (tsgictl upgrade, SIGUSR2): result="ok" counts those that led to this process since a tsgid was started from scratch, result="failed" those this process tried that left it serving.', 'counter', (s) => [
    { labels: { result: 'ok' }, value: s.upgrades.ok },
    { labels: { result: 'failed' }, value: s.upgrades.failed },
  ]);
  family('tsgi_daemon_resident_memory_bytes', 'Resident memory of the tsgid process (the arbiter), bytes.', 'gauge', () => [{ labels: {}, value: process.memoryUsage.rss() }]);
  family('tsgi_daemon_cpu_seconds_total', 'User and system CPU time of the tsgid process, seconds.', 'counter', () => {
    const { user, system } = process.cpuUsage();
    return [{ labels: {}, value: (user + system) / 1e6 }];
  });
  family('tsgi_app_workers_target', 'Workers the app is meant to run.', 'gauge', (s) => s.apps.map((a) => ({ labels: { app: a.name }, value: a.target })));
  family('tsgi_app_workers_ready', 'Workers of the app taking connections.', 'gauge', (s) => s.apps.map((a) => ({ labels: { app: a.name }, value: a.ready })));
  family('tsgi_http_requests_total', 'Responses by status class (code="aborted": closed before the app ended it), all workers past and present.', 'counter', (s) =>
    s.apps.flatMap((a) => byCode(a.requests.codes).map(({ code, value }) => ({ labels: { app: a.name, code }, value }))),
  );
  family('tsgi_http_request_duration_seconds', 'Time from the request reaching the app to its response closing, seconds.', 'histogram', (s) => s.apps.flatMap(histogram));
  family('tsgi_worker_restarts_total', 'Workers replaced, by reason.', 'counter', (s) =>
    s.apps.flatMap((a) => Object.entries(a.restarts).map(([reason, n]) => ({ labels: { app: a.name, reason }, value: n }))),
  );
  family('tsgi_app_unavailable_total', 'Connections tsgid answered 503 itself (a TLS app\'s: closed cleanly) because no worker could take them, by reason: failed, stopped, hold_timeout, queue_full.', 'counter', (s) =>
    s.apps.flatMap((a) => Object.entries(a.unavailable).map(([reason, n]) => ({ labels: { app: a.name, reason }, value: n }))),
  );
  family('tsgi_worker_responses_total', 'Responses this worker has sent, by status class (as of its last heartbeat).', 'counter', (s) =>
    s.apps.flatMap((a) => a.workers.flatMap((w) => byCode(w.codes).map(({ code, value }) => ({ labels: { app: a.name, worker: w.id, code }, value })))),
  );
  family('tsgi_worker_requests_total', 'Requests this worker has taken (counted as they arrive).', 'counter', (s) => perWorker(s, (w) => w.requests));
  family('tsgi_http_requests_in_flight', 'Requests this worker is serving now (as of its last heartbeat).', 'gauge', (s) => perWorker(s, (w) => w.inflight));
  family('tsgi_worker_connections', 'Connections open in this worker (as of its last heartbeat).', 'gauge', (s) => perWorker(s, (w) => w.connections));
  family('tsgi_worker_resident_memory_bytes', 'Resident memory of this worker, bytes (sampled every stats_interval).', 'gauge', (s) => perWorker(s, (w) => w.rss));
  family('tsgi_worker_cpu_seconds_total', 'User and system CPU time of this worker, seconds (sampled every stats_interval).', 'counter', (s) => perWorker(s, (w) => w.cpuSeconds));

  return async () => {
    snap = source.metrics();
    try {
      return await registry.metrics();
    } finally {
      snap = undefined;
    }
  };
}

function histogram(a: AppMetricsView): Sample[] {
  const name = 'tsgi_http_request_duration_seconds';
  const out: Sample[] = [];
  let cumulative = 0;
  DURATION_BOUNDS.forEach((le, i) => {
    cumulative += a.requests.buckets[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { app: a.name, le }, value: cumulative });
  });
  cumulative += a.requests.buckets[DURATION_BOUNDS.length]!;
  out.push({ metricName: `${name}_bucket`, labels: { app: a.name, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels: { app: a.name }, value: a.requests.sum });
  out.push({ metricName: `${name}_count`, labels: { app: a.name }, value: cumulative });
  return out;
}

/** `aborted` and 1xx–5xx always (a rate starts from a known 0); a class past 5xx only once seen. */
function byCode(codes: readonly number[]): Array<{ code: string; value: number }> {
  return codes.flatMap((n, slot) => (slot <= 5 || n > 0 ? [{ code: codeLabel(slot), value: n }] : []));
}

/** A worker not yet sampled (rss, cpu) has no line rather than a made-up 0. */
function perWorker(s: Snapshot, value: (w: AppMetricsView['workers'][number]) => number | null): Sample[] {
  return s.apps.flatMap((a) =>
    a.workers.flatMap((w) => {
      const v = value(w);
      return v === null ? [] : [{ labels: { app: a.name, worker: w.id }, value: v }];
    }),
  );
}
