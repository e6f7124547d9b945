/**
 * What the arbiter and a worker say to each other over the worker's IPC channel.
 * Imports nothing, so both sides (and tests) can use it without pulling the other in.
 */

/** Everything a worker needs to boot, passed in the TSGI_WORKER_SPEC environment variable as JSON. */
export interface WorkerSpec {
  app: string;
  workerId: number;
  /** Absolute directory the app's module paths are resolved against. */
  cwd: string;
  /** `path/to/module[:export]`, or undefined when `mounts` is used. */
  module?: string;
  /** URL prefix → `path/to/module[:export]`. */
  mounts?: Record<string, string>;
  interface: AppInterface;
  /** Milliseconds a draining worker may take to finish in-flight requests. */
  gracefulTimeout: number;
  /** Milliseconds between heartbeats. */
  heartbeatInterval: number;
}

export type AppInterface = 'auto' | 'node' | 'fetch' | 'koa' | 'fastify';

/** Exit codes a worker reserves (gunicorn's convention): the arbiter reads them to stop a boot loop. */
export const EXIT_BOOT_ERROR = 3;
export const EXIT_APP_LOAD_ERROR = 4;

/** arbiter → worker */
export type ArbiterMessage =
  /** A connection accepted by the arbiter; the socket comes as the send handle. */
  | { t: 'conn'; id: number }
  /** Stop taking connections, finish in-flight requests, exit 0. */
  | { t: 'drain' };

/** worker → arbiter */
export type WorkerMessage =
  /** The app is loaded, its factory and onStart done: route connections here. */
  | { t: 'ready' }
  /**
   * These connections arrived: the arbiter may close its copies. Until then it keeps them, so a
   * worker that dies before taking a connection does not lose it. Batched per event-loop turn.
   */
  | { t: 'got'; ids: number[] }
  /** The app failed to load; the worker exits with EXIT_APP_LOAD_ERROR right after. */
  | { t: 'boot-error'; message: string; stack?: string }
  /** Liveness and counters, every heartbeatInterval ms. */
  | { t: 'hb'; requests: number; inflight: number; connections: number };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
