/**
 * What the arbiter and a worker say to each other over the worker's IPC channel.
 * Imports nothing at run time (one type only), so both sides (and tests) can use it without pulling the other in.
 */
import type { WorkerLimits } from './pool/worker-spec.js';

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
  /** A background app (no `listen`): the module is imported and runs with no server (worker/background.ts). */
  background?: true;
  /** A scheduled job's module (`app` with `cron`): one run, forked from worker/job-main.ts instead of the worker runtime. */
  job?: true;
  /** A `command` app: this program and its arguments are spawned instead of the worker runtime (os/command-process.ts). */
  command?: string[];
  interface: AppInterface;
  /** Milliseconds a draining worker may take to finish in-flight requests. */
  gracefulTimeout: number;
  /** How often the worker looks at its counters and sends them if they changed. */
  heartbeatInterval: number;
  /** The longest it stays silent when nothing changed (well inside the arbiter's `timeout`), when it has no `aliveFd`. */
  heartbeatMax: number;
  /** A file the worker touches every heartbeatInterval when it has nothing to report, instead of a message (os/alive-file.ts). */
  aliveFd?: number;
  /** After this many requests the worker asks to be replaced (0: never); jitter already added. */
  maxRequests: number;
  /** HTTP input limits and request protection, enforced by the worker (daemon/worker/limits.ts). */
  limits: WorkerLimits;
  /** The app's certificate and key, read by the arbiter when it spawned this worker; absent: plain HTTP. */
  tls?: WorkerTls;
  /** Why the arbiter could not read the TLS files: the worker reports it as a boot error. */
  tlsError?: string;
  /** Present only when the app has an access_log: the worker formats a line per response. */
  accessLog?: AccessLogSpec;
  /** The app's `user` and `group`, for fork (which also drops tsgid's supplementary groups); absent: tsgid's own. */
  uid?: number;
  gid?: number;
  /** File mode mask the worker sets before it loads the app. */
  umask: number;
  /** `balance: sticky`: tell the arbiter of each engine.io session made, and close engine.io connections after each response. */
  sticky?: boolean;
  /** `balance: least-connections`: say, each event-loop turn that brought connections, how many are open (the `got` message). */
  reportConnections?: boolean;
}

export interface AccessLogSpec {
  format: 'combined' | 'json';
  /** forwarded_allow_ips: peers whose X-Forwarded-For is believed; '*' for any */
  trusted: string[];
}

/** PEM text, not paths: a renewed certificate reaches new workers through a reload. */
export interface WorkerTls {
  cert: string;
  key: string;
  ca?: string;
  ciphers?: string;
  /** Serve HTTP/2, with HTTP/1.1 for clients that do not offer h2 in ALPN. */
  http2: boolean;
}

/**
 * The app's limit settings, in bytes, counts and milliseconds (0 turns a limit off unless its
 * setting says otherwise): derived from the settings' declarations by pool/worker-spec.ts.
 */
export type { WorkerLimits };

export type AppInterface = 'auto' | 'node' | 'fetch' | 'koa' | 'fastify' | 'listen';

/**
 * The exit code a worker reserves for "the app did not load" (gunicorn's APP_LOAD_ERROR): the
 * arbiter reads it to stop a boot loop. A worker started without its spec exits 2.
 */
export const EXIT_APP_LOAD_ERROR = 4;

/**
 * A connection as the kernel handed it over (sockets.ts) and as it goes to a worker with a 'conn'
 * message: Node's own TCP or Pipe handle, not a net.Socket. The arbiter never reads from a
 * connection, so it makes no stream for it (a Socket, with its two stream states and its teardown,
 * was nearly a third of what the arbiter spent on one: BENCHMARKS.md); like node:cluster's
 * round-robin it sends the bare handle on, and closes its copy once the worker has it.
 */
export interface Connection {
  close(): void;
}

/** arbiter → worker */
export type ArbiterMessage =
  /**
   * A connection accepted by the arbiter; it comes as the send handle, a bare TCP or Pipe handle (sockets.ts).
   * `head`: the bytes the arbiter already read from it (base64; `balance: sticky` only), which come first.
   */
  | { t: 'conn'; id: number; head?: string }
  /** Stop taking connections, finish in-flight requests, exit 0. */
  | { t: 'drain' }
  /** Another worker's socket.io cluster-adapter message, passed on as it came (pool/adapter-relay.ts). */
  | RelayedMessage;

/** Not tsgi's: the app's own (its adapter's), marked by `source`; the worker's tsgi code ignores it. */
export interface RelayedMessage {
  t?: undefined;
  source: string;
  [key: string]: unknown;
}

/** worker → arbiter */
export type WorkerMessage =
  /** The app is loaded, its factory and onStart done: route connections here. */
  | { t: 'ready' }
  /**
   * These connections arrived, and `connections` are open (`balance: least-connections` workers
   * only, batched per event-loop turn). The arbiter keeps its copy of a connection until the
   * worker's process acknowledges the handle (Node's NODE_HANDLE_ACK), or until this, if first.
   */
  | { t: 'got'; ids: number[]; connections?: number }
  /**
   * The app failed to load; the worker exits with EXIT_APP_LOAD_ERROR right after. `message` starts
   * with the catalog code (`TSGI_ERR_APP_INTERFACE: ./app.mjs: …`; TSGI_ERR_APP_BOOT for an error without one).
   */
  | { t: 'boot-error'; message: string; stack?: string }
  /** Liveness and counters: when they changed (checked every heartbeatInterval), else every heartbeatMax. */
  | {
      t: 'hb';
      requests: number;
      inflight: number;
      connections: number;
      /** cumulative responses by status class, duration buckets and seconds summed (daemon/pool/request-stats.ts) */
      codes: number[];
      buckets: number[];
      sum: number;
    }
  /** Replace me gracefully (a new worker first); I keep serving until told to drain. */
  | { t: 'retire'; reason: 'max_requests' }
  /** This worker created the engine.io session `sid` (`balance: sticky` apps): route its requests here. */
  | { t: 'sid'; sid: string }
  /** Access-log lines, formatted; sent in batches (100 lines, or what 100 ms gathered), never one per request. */
  | { t: 'access'; lines: string[] };
