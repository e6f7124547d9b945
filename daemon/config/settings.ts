/**
 * Every tsgi setting, declared once: key, kind (type, parser, schema), default, description.
 * Validation, the Config / AppConfig types, the admin API's JSON schema and docs/config.md are
 * all derived from this file. To add a setting, add one `setting({...})` line to its section.
 */
import type { AppInterface } from '../protocol.js';
import { section, setting, type Simplify, type ValuesOf } from './declare.js';
import { listens, moduleSpec, mountMap, stringMap } from './app-kinds.js';
import { boolean, directory, duration, filePath, integer, listen, oneOf, size, text } from './kinds.js';
import { adminExposure, distinctListens, exactlyOne, modulesExist, tlsFiles, uniqueListens } from './rules.js';
import { namedSections } from './validate.js';
import { watchSpec } from './watch-kind.js';
import { ipList, logFile, rotationSize } from './log-kinds.js';

const INTERFACES = ['auto', 'node', 'fetch', 'koa', 'fastify'] as const satisfies readonly AppInterface[];
// Compile-time check that INTERFACES lists every AppInterface.
const everyInterface: Exclude<AppInterface, (typeof INTERFACES)[number]> extends never ? true : never = true;
void everyInterface;

export const APP_NAME = { pattern: /^[a-z0-9][a-z0-9_-]*$/, maxLength: 64 };

const restartSection = section({
  backoff_initial: setting({ kind: duration, default: '500ms', description: 'Delay before restarting a crashed worker; it doubles with each further crash.' }),
  backoff_max: setting({ kind: duration, default: '30s', description: 'Ceiling for the restart delay.' }),
  max_failures: setting({ kind: integer({ min: 1 }), default: 5, description: 'Crashes within `restart.window` after which the app is marked failed and not restarted.' }),
  window: setting({ kind: duration, default: '60s', description: 'How far back crashes are counted for `restart.max_failures`.' }),
  min_uptime: setting({ kind: duration, default: '1s', description: 'A worker that served at least this long before dying is replaced at once and does not count toward `restart.max_failures` (PM2\'s min_uptime).' }),
});

export const appSection = section(
  {
    app: setting({ kind: moduleSpec, description: 'The module to serve, `path/to/module[:export]`.', example: './app.ts:handler' }),
    mounts: setting({ kind: mountMap, description: 'Several modules behind one listener, by URL prefix (each starts with `/`).', example: { '/api': './api.ts', '/': './site.ts:handler' } }),
    interface: setting({ kind: oneOf(INTERFACES), default: 'auto', description: 'How to call the export; `auto` detects a node listener, fetch handler, Koa or Fastify app.' }),
    listen: setting({ kind: listens, required: true, description: 'Where the app accepts connections.', example: ['127.0.0.1:8000', 'unix:run/app.sock'] }),
    workers: setting({ kind: integer({ min: 1, max: 'max_workers' }), default: 1, description: 'Number of worker processes.' }),
    cwd: setting({ kind: directory, default: '.', description: "The workers' working directory, and the base for module paths." }),
    env: setting({ kind: stringMap, default: {}, description: 'Extra environment variables for the workers.', example: { NODE_ENV: 'production' } }),
    graceful_timeout: setting({ kind: duration, default: '30s', description: 'How long a stopping worker may take to finish in-flight requests before it is killed.' }),
    boot_timeout: setting({ kind: duration, default: '30s', description: 'How long a new worker may take to load the app and report ready.' }),
    timeout: setting({ kind: duration, default: '30s', description: 'Hung-worker guard: a worker whose heartbeat does not arrive within this is killed.' }),
    max_requests: setting({ kind: integer({ min: 0 }), default: 0, description: 'Recycle a worker after it has served this many requests (0: never); a replacement is ready before it drains, so no request is lost.' }),
    max_requests_jitter: setting({ kind: integer({ min: 0 }), default: 0, description: 'Add a random 0..N to each worker\'s `max_requests`, so workers of one pool do not all recycle at once.' }),
    max_memory: setting({ kind: size, default: 0, description: 'Recycle a worker whose resident memory exceeds this (0: no limit), sampled every `stats_interval`; replaced gracefully.', example: '512MB' }),
    limit_request_line: setting({ kind: integer({ min: 0, max: 8190 }), default: 4094, description: 'Longest request line (method, URL and version) in bytes; a longer one is answered 414 (0: no limit). The whole request head is also capped at 64KB, or at `limit_request_line` + `limit_request_field_size` if that is more: past the cap Node\'s parser answers 431, whatever the line\'s length.' }),
    limit_request_fields: setting({ kind: integer({ min: 1, max: 32768 }), default: 100, description: 'Most header fields a request may have; more are answered 431.' }),
    limit_request_field_size: setting({ kind: integer({ min: 0 }), default: 8190, description: 'Longest header line (name, `: `, value and CRLF) in bytes; a longer one is answered 431 (0: no limit but the 64KB head cap of `limit_request_line`).' }),
    limit_request_body: setting({ kind: size, default: 0, description: 'Largest request body (0: no limit). A larger Content-Length is answered 413 without calling the app; a chunked body that grows past it is cut there, answered 413 if the response has not started (else the connection is closed; over HTTP/2 the stream is reset): the app never sees more.', example: '10MB' }),
    header_timeout: setting({ kind: duration, default: '10s', description: 'Time a client has to send complete request headers, counted from connecting or from the first byte of a request on a kept-alive connection; then it is answered 408 and disconnected, within a second (slowloris). 0: no limit.' }),
    keepalive: setting({ kind: duration, default: '5s', description: 'How long an idle kept-alive connection waits for its next request (0: no keep-alive, every response closes its connection).' }),
    max_connections: setting({ kind: integer({ min: 1 }), default: 1000, description: 'Connections one worker serves at once (gunicorn\'s worker_connections); one more is answered 503 and closed.' }),
    request_timeout: setting({ kind: duration, default: 0, description: 'Time a request\'s response has to finish (0: no limit): then it is answered 503 with `Connection: close`, or its connection is cut if the response had started (over HTTP/2 its stream is reset), and logged; the worker carries on.' }),
    backlog: setting({ kind: integer({ min: 1, max: 65535 }), default: 2048, description: 'Listen backlog of the app\'s sockets, and how many connections the arbiter holds for the app while no worker is ready; beyond it new ones are refused.' }),
    certfile: setting({ kind: filePath, description: 'TLS certificate (PEM, with its chain) for all of the app\'s listeners; with `keyfile`, the app speaks HTTPS only. Read when a worker starts: `tsgictl reload` picks up a renewed one.', example: 'tls/cert.pem' }),
    keyfile: setting({ kind: filePath, description: 'TLS private key (PEM) matching `certfile`.', example: 'tls/key.pem' }),
    ca_certs: setting({ kind: filePath, description: 'CA certificates (PEM) the server may use to complete the chain it sends (intermediates). Client certificates are not requested.' }),
    ciphers: setting({ kind: text, description: 'TLS cipher list, in OpenSSL\'s format (default: Node\'s).', example: 'ECDHE+AESGCM:ECDHE+CHACHA20' }),
    http2: setting({ kind: boolean, default: false, description: 'Serve HTTP/2 (needs `certfile`), with HTTP/1.1 for clients that do not offer h2 in ALPN.' }),
    stdout_log: setting({ kind: logFile, description: "File for the workers' stdout, each line prefixed with the time and `[app:worker]`; default `logs.dir/<app>.out.log`, or tsgid's stdout when `logs.dir` is unset.", example: 'log/shop.out.log' }),
    stderr_log: setting({ kind: logFile, description: "File for the workers' stderr (may be the same file as `stdout_log`); default `logs.dir/<app>.err.log`, or tsgid's stdout when `logs.dir` is unset.", example: 'log/shop.err.log' }),
    access_log: setting({ kind: logFile, description: 'Access log, one line per response (off when unset); rotated like the other logs. Workers send lines to tsgid in batches (at most 100 ms late), and tsgid writes them.', example: 'log/shop.access.log' }),
    access_log_format: setting({ kind: oneOf(['combined', 'json'] as const), default: 'combined', description: '`combined`: `%h - - [%t] "%r" %s %b "%{Referer}" "%{User-Agent}"` (nginx, gunicorn); `json`: one object per line with time, remote, method, url, status, bytes, duration_ms, referer, user_agent, app, worker.' }),
    forwarded_allow_ips: setting({ kind: ipList, default: ['127.0.0.1'], description: "Peers whose `X-Forwarded-For` gives the access log's remote address (gunicorn's rule); `*` trusts any. Unix-socket peers are trusted. The address logged is the right-most one in the header that is not itself a trusted proxy." }),
    restart: restartSection,
    watch: setting({ kind: watchSpec, default: false, description: 'Reload the app (rolling, as `tsgictl reload`) when its files change; for development.', example: { paths: ['src'], ignore: ['*.tmp'], debounce: '300ms' } }),
  },
  [exactlyOne('app', 'mounts'), modulesExist, distinctListens, tlsFiles],
);

export const topSection = section(
  {
    admin: section({
      listen: setting({ kind: listen, default: 'unix:.tsgi/admin.sock', description: 'Where the admin API (used by tsgictl) listens.' }),
      token: setting({ kind: text, description: 'Bearer token for the admin API; when unset, `admin.token_file` holds it.', example: '${TSGI_TOKEN}' }),
      token_file: setting({ kind: filePath, default: '.tsgi/admin.token', description: 'File holding the admin API token, used when `admin.token` is unset.' }),
    }, [adminExposure]),
    pidfile: setting({ kind: filePath, default: '.tsgi/tsgid.pid', description: "Where the daemon writes its process id." }),
    stats_interval: setting({ kind: duration, default: '1s', description: 'How often one sampler reads the memory and CPU of every worker (for `max_memory` and status).' }),
    max_workers: setting({ kind: integer({ min: 1 }), default: 128, description: "Ceiling for any app's `workers`." }),
    shutdown_delay: setting({ kind: duration, default: 0, description: 'On SIGTERM, how long tsgid keeps serving after `GET /v1/ready` turns 503 and before the drain begins, so a load balancer (Kubernetes endpoints) stops sending first; a second SIGTERM or SIGINT skips the rest of it.', example: '5s' }),
    logs: section(
      {
        dir: setting({ kind: filePath, description: "Directory of the apps' logs, `<app>.out.log` and `<app>.err.log` (created if missing). Unset: the workers' lines go to tsgid's stdout as JSON, with its own log (the container convention).", example: '/var/log/tsgi' }),
        max_size: setting({ kind: size, default: '10MB', description: 'Rotate a log file before a line would take it past this size (0: never; use SIGUSR1 with an external logrotate). Lines are never split across files; a longer line is cut to fit, marked `[cut]`. Also bounds what a log (or tsgid\'s stdout, when `dir` is unset) holds in memory unwritten: about this size, at least 256 KiB, at most 1 MiB; lines past it are dropped and a `[tsgi] N line(s) dropped from … to … (app stream: N)` note follows the lines kept (nginx and Kestrel block the writer instead; tsgid must not stall).' }),
        keep: setting({ kind: integer({ min: 0 }), default: 5, description: 'Rotated files kept per log (`x.log.1` newest … `x.log.N`); older ones are deleted.' }),
        gzip: setting({ kind: boolean, default: false, description: 'Compress rotated files (`x.log.1.gz`), in the background.' }),
      },
      [rotationSize],
    ),
    apps: setting({
      kind: namedSections(appSection, 'app', APP_NAME),
      default: {},
      description: `The apps to serve, by name (\`${APP_NAME.pattern.source}\`, at most ${APP_NAME.maxLength} characters); see below.`,
    }),
  },
  [uniqueListens],
);

export type AppConfig = Simplify<{ name: string } & ValuesOf<typeof appSection.fields>>;
export type Config = Simplify<{ file: string; dir: string } & ValuesOf<typeof topSection.fields>>;
