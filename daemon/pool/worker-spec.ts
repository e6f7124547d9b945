/**
 * What a worker is told when it is spawned (protocol.ts's WorkerSpec), from its app's settings.
 * Pure but for the TLS files it reads (tls-files.ts): tested without processes (test/worker-spec.test.ts).
 *
 * A setting the worker merely enforces as written (a limit) names its key in the spec where it is
 * declared (config/settings.ts, `worker: 'requestLine'`): `spec.limits` and its type are derived
 * here from those declarations, so a new worker-side limit is written in two places, its
 * declaration and the worker code that reads `limits.<name>`. Settings the arbiter turns into
 * something else (heartbeat intervals from `timeout`, `max_requests` with its jitter) are computed
 * in `workerSpec()`.
 */
import { appSection, workerIds, type AppConfig } from '../config/index.js';
import type { Presence, Setting } from '../config/declare.js';
import { workerTls } from '../os/tls-files.js';
import type { WorkerSpec } from '../protocol.js';

type AppFields = typeof appSection.fields;
/**
 * A declaration's `worker` name; never for one the worker does not get as written (a setting
 * declared without `setting()` has the bare `string`). `any`: a setting of whatever value type.
 */
type WorkerName<F> = F extends Setting<any, Presence, infer W> ? (string extends W ? never : W) : never;

/** spec.limits key → the app setting it carries unchanged (bytes, counts, milliseconds): each declaration with a `worker` name. */
export const WORKER_LIMITS = Object.fromEntries(
  Object.entries(appSection.fields).flatMap(([key, field]) => (field.is === 'setting' && field.worker !== undefined ? [[field.worker, key]] : [])),
) as { readonly [K in keyof AppFields as WorkerName<AppFields[K]>]: K };

/** The app's limit settings as the worker gets them, each of its setting's type (see settings.ts for each one's meaning). */
export type WorkerLimits = { [K in keyof typeof WORKER_LIMITS]: AppConfig[(typeof WORKER_LIMITS)[K]] };

/** The longest a worker stays silent between heartbeats, whatever `timeout` is. */
const HEARTBEAT_MAX_MS = 1000;

/**
 * The spec of worker `workerId` of app `c`. `random` (0 ≤ x < 1, the ProcessOps clock's) spreads
 * max_requests by max_requests_jitter.
 */
export function workerSpec(c: AppConfig, workerId: number, random: () => number): WorkerSpec {
  const limits = Object.fromEntries(Object.entries(WORKER_LIMITS).map(([key, setting]) => [key, c[setting]])) as WorkerLimits;
  return {
    app: c.name,
    workerId,
    cwd: c.cwd,
    module: c.app,
    mounts: c.mounts,
    ...(c.listen.length === 0 && { background: true as const }),
    ...(c.command !== undefined && { command: c.command }),
    ...(c.cron !== undefined && c.command === undefined && { job: true as const }),
    interface: c.interface,
    gracefulTimeout: c.graceful_timeout,
    // checked several times within `timeout`, so one late heartbeat is not a hung worker
    heartbeatInterval: Math.max(50, Math.min(HEARTBEAT_MAX_MS, Math.floor(c.timeout / 4))),
    heartbeatMax: Math.max(50, Math.floor(c.timeout / 3)),
    maxRequests: c.max_requests > 0 ? c.max_requests + Math.floor(random() * (c.max_requests_jitter + 1)) : 0,
    limits,
    ...workerTls(c),
    ...(c.access_log !== undefined && { accessLog: { format: c.access_log_format, trusted: c.forwarded_allow_ips } }),
    ...workerIds(c),
    umask: c.umask,
    // the worker's half of `balance: sticky` (worker/sticky-session.ts)
    ...(c.balance === 'sticky' && { sticky: true }),
    // fresher counts than the heartbeat's for least-connections; other policies need no message per connection
    ...(c.balance === 'least-connections' && { reportConnections: true }),
  };
}
