/**
 * The history ring behind the dashboard's charts, fed by hand: rates by status class from the
 * totals' deltas, p50/p99 from the histogram's deltas, worker series that come and go, a bound
 * that holds however long it runs, exits kept once, and ?since= answering only the tail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppStatus, ExitRecord } from '../daemon/pool/app-pool.js';
import type { AppMetrics } from '../daemon/pool/app-metrics.js';
import { HISTORY_POINTS, History, quantile } from '../daemon/arbiter/history.js';
import { DURATION_BOUNDS, emptyCounts } from '../daemon/pool/request-stats.js';

function metrics(ok: number, notFound: number, buckets: Record<number, number>): AppMetrics {
  const requests = emptyCounts();
  requests.codes[2] = ok;
  requests.codes[4] = notFound;
  for (const [b, n] of Object.entries(buckets)) requests.buckets[Number(b)] = n;
  return { requests, restarts: {}, unavailable: {} };
}

function status(workers: Array<{ id: number; rss: number; cpu: number }>, exits: ExitRecord[] = []): AppStatus {
  return { name: 'web', recent_restarts: exits, workers: workers.map((w) => ({ ...w, pid: 100 + w.id })) } as unknown as AppStatus;
}

const exit = (worker: number, at: number): ExitRecord => ({ worker, pid: 100 + worker, state: 'stopped', reason: 'reload', code: 0, signal: null, at });

describe('history', () => {
  it('quantile: the upper bound of the bucket that holds the rank; NaN with no requests', () => {
    assert.equal(quantile([0, 0, 0], 0.5), NaN);
    const b = new Array<number>(DURATION_BOUNDS.length + 1).fill(0);
    b[0] = 98; // ≤ 1 ms
    b[6] = 2; // ≤ 100 ms
    assert.equal(quantile(b, 0.5), 0.001);
    assert.equal(quantile(b, 0.99), 0.1);
    b[DURATION_BOUNDS.length] = 1000; // beyond the last bound: that bound
    assert.equal(quantile(b, 0.99), DURATION_BOUNDS.at(-1));
  });

  it('rates per status class and latency per interval, worker series aligned with nulls', () => {
    const h = new History(1000);
    h.record(10_000, { ...metrics(0, 0, {}), ...status([{ id: 1, rss: 1e6, cpu: 1 }]) });
    h.record(11_000, { ...metrics(50, 2, { 0: 52 }), ...status([{ id: 1, rss: 2e6, cpu: 5 }, { id: 2, rss: 3e6, cpu: 9 }]) });
    h.record(13_000, { ...metrics(150, 2, { 0: 52, 7: 100 }), ...status([{ id: 2, rss: 4e6, cpu: 7 }], [exit(1, 12_500)]) });
    const r = h.read('web');
    assert.deepEqual(r.t, [10_000, 11_000, 13_000]);
    assert.deepEqual(r.requests['2xx'], [null, 50, 50], 'per second, over a 2 s gap too');
    assert.deepEqual(r.requests['4xx'], [null, 2, 0]);
    assert.deepEqual(r.latency.p50, [null, 0.001, DURATION_BOUNDS[7]]);
    assert.deepEqual(r.workers, [
      { id: 1, rss: [1e6, 2e6, null], cpu: [1, 5, null] },
      { id: 2, rss: [null, 3e6, 4e6], cpu: [null, 9, 7] },
    ]);
    assert.deepEqual(r.restarts.map((e) => e.at), [12_500]);
    // the tail only
    const tail = h.read('web', 11_000);
    assert.deepEqual(tail.t, [13_000]);
    assert.deepEqual(tail.restarts.map((e) => e.at), [12_500]);
    assert.deepEqual(h.read('web', 13_000).restarts, []);
  });

  it('stays bounded: 15 min of points, old workers and exits dropped, each exit once', () => {
    const h = new History(1000);
    const exits: ExitRecord[] = [];
    for (let i = 0; i < HISTORY_POINTS * 3; i++) {
      // a crash loop: a new worker every point, the newest exits first as status lists them
      exits.unshift(exit(i, i * 1000 + 500));
      h.record(i * 1000, { ...metrics(i, 0, {}), ...status([{ id: i, rss: 1, cpu: 1 }], exits.slice(0, 20)) });
    }
    const r = h.read('web');
    assert.equal(r.t.length, HISTORY_POINTS);
    assert.equal(r.t[0], HISTORY_POINTS * 2 * 1000);
    assert.ok(r.workers.length <= 64, `${r.workers.length} worker series`);
    assert.ok(r.restarts.length <= 200);
    assert.equal(new Set(r.restarts.map((e) => e.at)).size, r.restarts.length, 'no exit twice');
    assert.ok(r.restarts.every((e) => e.at >= r.t[0]! - 1000));
  });

  it('keeps the same 64 worker series when more workers run, and gives a gone one\'s place to a running one', () => {
    const h = new History(1000);
    const running = Array.from({ length: 100 }, (_, id) => ({ id, rss: id, cpu: 1 }));
    for (let i = 0; i < 5; i++) h.record(i * 1000, { ...metrics(i, 0, {}), ...status(running) });
    const drawn = h.read('web').workers;
    assert.equal(drawn.length, 64);
    // each drawn worker has every point: none was dropped and made again in between
    assert.ok(drawn.every((w) => w.rss.length === 5 && w.rss.every((v) => v === w.id)), 'a series with gaps');
    const kept = new Set(drawn.map((w) => w.id));
    const gone = [...kept][0]!;
    const next = running.filter((w) => w.id !== gone).concat({ id: 100, rss: 100, cpu: 1 });
    h.record(5000, { ...metrics(5, 0, {}), ...status(next) });
    const after = new Set(h.read('web').workers.map((w) => w.id));
    assert.equal(after.size, 64);
    assert.ok([...kept].every((id) => id === gone || after.has(id)), 'a running worker lost its place');
    assert.ok(!after.has(gone) && [...after].every((id) => next.some((w) => w.id === id)), 'the gone worker\'s place went to a running one');
  });

  it('forgets a removed app', () => {
    const h = new History(1000);
    h.record(1, { ...metrics(0, 0, {}), ...status([]) });
    h.remove('web');
    assert.deepEqual(h.read('web').t, []);
  });
});
