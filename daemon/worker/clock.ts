/**
 * The worker's clock for a request's times (its start, its duration for the metrics,
 * request_timeout's sweep), in milliseconds from an arbitrary origin: only differences mean
 * anything. Two reads per request, so the cheapest monotonic one: process.hrtime() costs ~140–180
 * instructions a read against ~190–265 for performance.now(), whose brand check (an
 * Object.prototype.hasOwnProperty call) outweighs the clock itself (callgrind, BENCHMARKS.md).
 * Taken at load, before the app's: fake timers an app installs later do not reach it.
 */
const hrtime = process.hrtime;

export function nowMs(): number {
  const t = hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}
