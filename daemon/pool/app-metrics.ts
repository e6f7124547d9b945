/**
 * One app's request totals and restarts, kept by its pool for GET /metrics. A worker reports
 * cumulative counts in its heartbeat; each report adds what changed since that worker's previous
 * one to the app's totals. So the totals never go down when a worker is replaced, and a report
 * that arrives after its worker's exit (the channel is read after 'exit') still counts.
 */
import { addDelta, emptyCounts, type RequestCounts } from './request-stats.js';
import type { ExitReason } from './worker-state.js';

/** Why a worker was replaced by another; stop, scale-down and shutdown end a worker without a replacement. */
export const RESTART_REASONS: readonly ExitReason[] = ['crash', 'killed', 'boot-error', 'boot-timeout', 'timeout', 'max_requests', 'max_memory', 'reload', 'restart'];
/** Why the arbiter answered a connection 503 itself (hold-503.ts). */
export const UNAVAILABLE_REASONS = ['failed', 'stopped', 'hold_timeout', 'queue_full'] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];
const REPLACED: ReadonlySet<ExitReason> = new Set(RESTART_REASONS);

export interface AppMetrics {
  requests: RequestCounts;
  restarts: Record<string, number>;
  /** connections the arbiter answered 503 (or closed cleanly, for TLS) because no worker could take them */
  unavailable: Record<string, number>;
}

export class AppMetricsTotals {
  readonly requests = emptyCounts();
  /** every reason listed, at 0 until it happens, so a rate over it starts from a known value */
  readonly restarts: Record<string, number> = Object.fromEntries(RESTART_REASONS.map((r) => [r, 0]));
  readonly unavailable: Record<string, number> = Object.fromEntries(UNAVAILABLE_REASONS.map((r) => [r, 0]));

  /** A worker's heartbeat (checked at the boundary, worker-messages.ts): `last` is what it reported before (updated here). */
  report(last: RequestCounts, now: RequestCounts): void {
    addDelta(this.requests, now, last);
    last.codes = now.codes;
    last.buckets = now.buckets;
    last.sum = now.sum;
  }

  /** A worker reached its final state for this reason. */
  exited(reason: ExitReason | undefined): void {
    if (reason !== undefined && REPLACED.has(reason)) this.restarts[reason]!++;
  }

  snapshot(): AppMetrics {
    return { requests: { codes: [...this.requests.codes], buckets: [...this.requests.buckets], sum: this.requests.sum }, restarts: { ...this.restarts }, unavailable: { ...this.unavailable } };
  }
}
