/**
 * The request figures a worker counts and the arbiter adds up for metrics: responses by status
 * class and a duration histogram. Imports nothing: the worker (which counts), the arbiter (which
 * aggregates) and the metrics exposition share these shapes and bounds.
 */

/**
 * Upper bounds of the duration histogram's buckets, in seconds (Prometheus' defaults with 1 ms
 * and 2.5 ms in front, since an app server's fast responses are its common case).
 */
export const DURATION_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Index into `RequestCounts.codes`: the status class (1 for 1xx … 9xx), or 0 for a response
 * that closed before the app ended it (the client went away, or the connection was cut).
 */
export const ABORTED = 0;
export const CODE_SLOTS = 10;

export function codeLabel(slot: number): string {
  return slot === ABORTED ? 'aborted' : `${slot}xx`;
}

/** Cumulative since the worker started; never decreases while it lives. */
export interface RequestCounts {
  /** responses closed, by status class (see ABORTED) */
  codes: number[];
  /** per bucket, not cumulative: [i] counts durations in (bound[i-1], bound[i]]; the last one is above every bound */
  buckets: number[];
  /** seconds, all durations added up */
  sum: number;
}

export function emptyCounts(): RequestCounts {
  return { codes: new Array<number>(CODE_SLOTS).fill(0), buckets: new Array<number>(DURATION_BOUNDS.length + 1).fill(0), sum: 0 };
}

/** `into += now - before`, slot by slot: folds one worker's newer report into an app's totals. */
export function addDelta(into: RequestCounts, now: RequestCounts, before: RequestCounts): void {
  for (let i = 0; i < into.codes.length; i++) into.codes[i]! += (now.codes[i] ?? 0) - (before.codes[i] ?? 0);
  for (let i = 0; i < into.buckets.length; i++) into.buckets[i]! += (now.buckets[i] ?? 0) - (before.buckets[i] ?? 0);
  into.sum += now.sum - before.sum;
}
