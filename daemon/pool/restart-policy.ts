/**
 * Restart policy as data, evaluated by the pool in its tick: how long to wait before the next
 * spawn, and when a crash loop makes the app `failed`. Pure, so it is tested without processes.
 */

export interface RestartSettings {
  backoff_initial: number;
  backoff_max: number;
  max_failures: number;
  window: number;
  min_uptime: number;
}

export type RestartDecision =
  | { kind: 'restart'; delay: number; failures: number }
  | { kind: 'give-up'; failures: number; message: string };

/**
 * A worker that served for at least `min_uptime` and then died is replaced at once and does not
 * count as a failure (PM2's min_uptime, supervisord's startsecs): a SIGKILL from outside or a rare
 * crash must not mark a healthy app failed. Anything shorter counts; the n-th failure inside
 * `window` waits backoff_initial × 2^(n-2) (the first retry is immediate), and `max_failures`
 * inside the window gives up.
 */
export function decideRestart(
  settings: RestartSettings,
  recentFailures: readonly number[],
  now: number,
  uptime: number,
): { decision: RestartDecision; failures: number[] } {
  if (uptime >= settings.min_uptime) {
    return { decision: { kind: 'restart', delay: 0, failures: 0 }, failures: pruneFailures(settings, recentFailures, now) };
  }
  const failures = [...pruneFailures(settings, recentFailures, now), now];
  const n = failures.length;
  if (n >= settings.max_failures) {
    const message = `crash loop: ${n} failures within ${formatMs(settings.window)}; not restarting until started again`;
    return { decision: { kind: 'give-up', failures: n, message }, failures };
  }
  const delay = n <= 1 ? 0 : Math.min(settings.backoff_max, settings.backoff_initial * 2 ** (n - 2));
  return { decision: { kind: 'restart', delay, failures: n }, failures };
}

function pruneFailures(settings: RestartSettings, failures: readonly number[], now: number): number[] {
  return failures.filter((t) => now - t < settings.window);
}

/**
 * Signals a process does not send itself by crashing (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL are
 * its own faults): a worker that dies by one of these without the arbiter having sent it was killed
 * from outside (an operator, a chaos test, the OOM killer), which says nothing about the app's code.
 */
const EXTERNAL_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

export function externalKill(signal: NodeJS.Signals | null): boolean {
  return signal !== null && EXTERNAL_SIGNALS.has(signal);
}

export function formatMs(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  return `${ms / 1000}s`;
}
