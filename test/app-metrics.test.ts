/**
 * The arbiter's per-app totals: each heartbeat adds only what changed since that worker's last
 * one, so totals never go down when workers come and go, and a report that arrives after its worker
 * exited still counts once. (A malformed report never gets here: test/worker-messages.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppMetricsTotals } from '../daemon/pool/app-metrics.js';
import { CODE_SLOTS, DURATION_BOUNDS, emptyCounts } from '../daemon/pool/request-stats.js';

/** A worker's cumulative report: `ok` 2xx answers and `missing` 4xx, all in the first bucket. */
function beat(ok: number, missing: number, sum: number) {
  const codes = new Array<number>(CODE_SLOTS).fill(0);
  codes[2] = ok;
  codes[4] = missing;
  const buckets = new Array<number>(DURATION_BOUNDS.length + 1).fill(0);
  buckets[0] = ok + missing;
  return { codes, buckets, sum };
}

describe('AppMetricsTotals', () => {
  it('adds each worker\'s increase once, across workers and their replacement', () => {
    const t = new AppMetricsTotals();
    const a = emptyCounts();
    const b = emptyCounts();
    t.report(a, beat(3, 1, 0.5));
    t.report(b, beat(2, 0, 0.25));
    t.report(a, beat(5, 1, 0.75)); // a served 2 more since its last beat
    assert.equal(t.requests.codes[2], 7);
    assert.equal(t.requests.codes[4], 1);
    assert.equal(t.requests.buckets[0], 8);
    assert.equal(t.requests.sum, 1);
    // a exits; its replacement starts from zero: the totals keep a's share
    t.exited('crash');
    const a2 = emptyCounts();
    t.report(a2, beat(1, 0, 0.125));
    assert.equal(t.requests.codes[2], 8);
    assert.equal(t.restarts.crash, 1);
    // a's last beat arrives after its exit (the channel is read after 'exit'): counted, once
    t.report(a, beat(6, 1, 0.875));
    t.report(a, beat(6, 1, 0.875));
    assert.equal(t.requests.codes[2], 9);
  });

  it('counts restarts by reason, and not the exits that replace nothing', () => {
    const t = new AppMetricsTotals();
    for (const r of ['reload', 'reload', 'max_requests', 'max_memory', 'timeout', 'scale', 'stop', 'shutdown', 'abandoned', undefined] as const) t.exited(r);
    assert.deepEqual(
      Object.fromEntries(Object.entries(t.restarts).filter(([, n]) => n > 0)),
      { reload: 2, max_requests: 1, max_memory: 1, timeout: 1 },
    );
  });
});
