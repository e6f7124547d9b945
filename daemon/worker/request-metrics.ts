/**
 * The worker's share of metrics: each response, when it closes, adds one to its status class and
 * its duration bucket. Nothing is sent per request; the heartbeat carries these cumulative counts
 * (a few dozen numbers) to the arbiter, which adds them up per app.
 *
 * Per request this is the start time the worker keeps anyway (main.ts's `open`) and, at close, a
 * clock read, a status check and a short scan of the bucket bounds (the first one for a fast
 * response). Nothing is stored on the response object: a property added to every response after
 * Node built it would give Node's own http code two shapes of response to handle.
 */
import type { ServerResponse } from 'node:http';
import { ABORTED, DURATION_BOUNDS, emptyCounts } from '../request-stats.js';

const BOUNDS_MS = DURATION_BOUNDS.map((s) => s * 1000);
const LAST = BOUNDS_MS.length;

export const counts = emptyCounts();
/** ms; turned into seconds only when reported */
let sumMs = 0;

/** When a response closes: `started` is performance.now() when its request reached the worker. */
export function requestClosed(res: ServerResponse, started: number): void {
  const ms = performance.now() - started;
  sumMs += ms;
  let i = 0;
  while (i < LAST && ms > BOUNDS_MS[i]!) i++;
  counts.buckets[i]!++;
  const slot = res.writableEnded ? Math.trunc(res.statusCode / 100) : ABORTED;
  counts.codes[slot > 0 && slot < counts.codes.length ? slot : ABORTED]!++;
}

/** The seconds added up, for the heartbeat. */
export function durationSum(): number {
  return sumMs / 1000;
}
