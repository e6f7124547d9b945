/**
 * The worker's share of metrics: each response, when it closes, adds one to its status class and
 * its duration bucket. Nothing is sent per request; the heartbeat carries these cumulative counts
 * (a few dozen numbers) to the arbiter, which adds them up per app.
 *
 * Per request this is a clock read when the worker's handler takes the response (tsgi-response.ts's
 * takeResponse, kept in its one marking property) and, at close, another clock read, a status
 * check and a short scan of the bucket bounds (the first one for a fast response): about 0.2 µs,
 * under 1% of a hello-world request (BENCHMARKS.md, bench/metrics-cost.ts).
 */
import type { ServerResponse } from 'node:http';
import { ABORTED, DURATION_BOUNDS, emptyCounts } from '../pool/request-stats.js';
import { nowMs } from './clock.js';

const BOUNDS_MS = DURATION_BOUNDS.map((s) => s * 1000);
const LAST = BOUNDS_MS.length;

export const counts = emptyCounts();
/** ms; turned into seconds only when reported. A typed array: a double in a plain `let` would be a new heap number at every add */
const sumMs = new Float64Array(1);

/** When a response closes: `started` is nowMs() (clock.ts) when its request reached the worker. */
export function requestClosed(res: ServerResponse, started: number): void {
  const ms = nowMs() - started;
  sumMs[0]! += ms;
  let i = 0;
  while (i < LAST && ms > BOUNDS_MS[i]!) i++;
  counts.buckets[i]!++;
  const slot = res.writableEnded ? Math.trunc(res.statusCode / 100) : ABORTED;
  counts.codes[slot > 0 && slot < counts.codes.length ? slot : ABORTED]!++;
}

/** The seconds added up, for the heartbeat. */
export function durationSum(): number {
  return sumMs[0]! / 1000;
}
