/**
 * Every tsgi setting, declared once: key, kind (type, parser, schema), default, description.
 * Validation, the Config / AppConfig types, the admin API's JSON schema and docs/config.md are
 * all derived from this file. To add a setting, add one `setting({...})` line to its section.
 */
import type { AppInterface } from '../protocol.js';
import { section, setting, type Simplify, type ValuesOf } from './declare.js';
import { commandLine, envNames, listens, moduleSpec, mountMap, stringMap } from './app-kinds.js';
import { commandExists, oneKind } from './background-rules.js';
import { cronExpression, cronJobShape, timeZone } from './cron-kinds.js';
import { envFileReadable } from './env-file.js';
import { BASE_ENV, REDACT_MIN_LENGTH } from '../pool/worker-env.js';
import { boolean, directory, duration, filePath, integer, listen, oneOf, size, text } from './kinds.js';
import { adminExposure, distinctListens, exactlyOne, modulesExist, stickyPlain, tlsFiles, uniqueListens } from './rules.js';
import { BALANCE_POLICIES } from '../pool/balance/policy.js';
import { namedSections } from './validate.js';
import { watchSpec } from './watch-kind.js';
import type { EnvReference } from './yaml-source.js';
import { ipList, logFile, rotationSize } from './log-kinds.js';
import { group, privileges, umask, user } from './privileges.js';

const INTERFACES = ['auto', 'node', 'fetch', 'koa', 'fastify', 'listen'] as const satisfies readonly AppInterface[];
// Compile-time check that INTERFACES lists every AppInterface.
const everyInterface: Exclude<AppInterface, (typeof INTERFACES)[number]> extends never ? true : never = true;
void everyInterface;

export const APP_NAME = { pattern: /^[a-z0-9][a-z0-9_-]*$/, maxLength: 64 };

const restartSection = section({
  backoff_initial: setting({ kind: duration, default: '500ms', description: 'Delay before restarting a crashed worker: the first counted crash in `restart.window` is restarted at once, the second after this, and it doubles with each further one (Kubernetes\' CrashLoopBackOff starts at 10s, systemd\'s RestartSec is 100ms).' }),
  backoff_max: setting({ kind: duration, default: '10s', description: 'Ceiling for the restart delay (Kubernetes caps CrashLoopBackOff at 5 min; shorter here, as a worker boots in well under a second).' }),
  max_failures: setting({ kind: integer({ min: 1 }), default: 5, description: 'Counted crashes within `restart.window` after which the app is marked failed: it spawns no more and answers 503 until `restart.retry_failed` has passed or it is started again. Deaths by a signal from outside (SIGKILL, SIGTERM, SIGINT, SIGHUP the arbiter did not send: an operator, the OOM killer) and boot timeouts while other boots ran are not counted; they show as `killed` and `boot-timeout` in status and metrics.' }),
  window: setting({ kind: duration, default: '60s', description: 'How far back crashes are counted for `restart.max_failures`.' }),
  min_uptime: setting({ kind: duration, default: '1s', description: 'A worker that served at least this long after it was *ready* before dying is replaced at once and does not count toward `restart.max_failures` (PM2\'s min_uptime, supervisord\'s startsecs). `tsgictl start` also waits until the workers have been ready this long, so an app that crashes just after becoming ready does not report "started".' }),
  retry_failed: setting({ kind: duration, default: '60s', description: 'A failed app (crash loop or boot failure) is tried again on its own this long after it was marked failed, for ever, as Kubernetes retries a CrashLoopBackOff pod (0: never; wait for `tsgictl start`).' }),
});

/** The admin API's named tokens (`admin.tokens`). */
export const TOKEN_NAME = { pattern: /^[a-z0-9][a-z0-9_-]*$/, maxLength: 64 };
export const TOKEN_ROLES = ['read', 'full'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
const tokenSection = section(
  {
    token: setting({ kind: text, description: 'The bearer token (at least 16 characters).', example: '${DEPLOY_TOKEN}' }),
    token_file: setting({ kind: filePath, description: 'A file holding the token (mode 0600), instead of `token`.', example: '/etc/tsgi/grafana.token' }),
    role: setting({ kind: oneOf(TOKEN_ROLES), default: 'read', description: '`read`: GET routes but logs; `full`: every route. Default `read`: the safe one.' }),
  },
  [exactlyOne('token', 'token_file')],
);

export const appSection = section(
  {
    app: setting({ kind: moduleSpec, description: 'The module to serve, `path/to/module[:export]`. Without `listen`, the module of a background app: imported in each worker, which is ready once the import (top-level await included) and its `onStart()` have finished; stopping awaits its `onDrain()` then `onShutdown()`, up to `graceful_timeout`. With `cron`, the module of a scheduled job: each run calls its exported function (docs/TSGI.md §10).', example: './app.ts:handler' }),
    command: setting({ kind: commandLine, description: "A program to run instead of a module, for a background app (no `listen`): each of the `workers` instances is started with the app's `cwd`, environment, `user` and umask, its stdout and stderr go to the app's logs, and it is supervised like a worker (restart with backoff, crash loops, `max_memory`, rolling `reload`, `scale`). With no IPC channel to say it is ready, an instance is ready once it has stayed up `restart.min_uptime` (default 1s; one that exits sooner is a failed start, counted toward a crash loop), `timeout` (the heartbeat) does not apply, and it is stopped by SIGTERM, then SIGKILL after `graceful_timeout` (PM2's `script` with `interpreter: none`, supervisord's `command`).", example: ['python3', 'worker.py'] }),
    cron: setting({ kind: cronExpression, description: "Makes a `command` or `app` app a scheduled job: each time the expression falls due, one process is started and must end on its own (`command` exits; `app` is a module whose exported function is called once, its process exiting 0 when it resolves and 1 when it throws, docs/TSGI.md §10); its start, duration, exit code and outcome are kept (the last 20 runs, in status and `GET /v1/apps/:name`), and `tsgictl run APP` starts one now. Between runs nothing runs (`workers` is refused, as is `tsgictl scale`); an exit is the run's end, never a crash to restart. A bad expression is a config error naming the file, line and key. Read in `cron_timezone`. Runs missed while tsgid was down or stopped are not made up (Kubernetes' CronJob without `startingDeadlineSeconds` is the same; systemd's `Persistent=` is off by default).", example: '*/5 * * * *' }),
    cron_timezone: setting({ kind: timeZone, description: "The time zone `cron` is read in; default: the host's (TZ, /etc/localtime), as cron(8) and Kubernetes' CronJob `timeZone` unset.", example: 'Europe/Paris' }),
    overlap: setting({ kind: oneOf(['skip', 'queue'] as const), default: 'skip', description: "What a scheduled job does when its time comes while its previous run is still going: `skip` that time (recorded as a `skipped` run; Kubernetes' `concurrencyPolicy: Forbid`), or `queue` one run to start when the current one ends (further times while one is queued are skipped). Runs never overlap." }),
    run_timeout: setting({ kind: duration, default: '1h', description: "How long one run of a scheduled job (`cron`) may take: past it the run is told to stop (a `command` gets SIGTERM; a module's `signal` is aborted), then SIGKILLed after `graceful_timeout`, and recorded as `timeout` (0: no limit). Distinct from `timeout`, the heartbeat of workers. Default 1h, so a hung run cannot block every later one for ever under `overlap: skip` (Kubernetes' `activeDeadlineSeconds` and systemd's `RuntimeMaxSec=` have no limit by default)." }),
    mounts: setting({ kind: mountMap, description: 'Several modules behind one listener, by URL prefix (each starts with `/`).', example: { '/api': './api.ts', '/': './site.ts:handler' } }),
    interface: setting({ kind: oneOf(INTERFACES), default: 'auto', description: 'How to call the export; `auto` detects a node listener, fetch handler, Koa or Fastify app, and, for a module that exports none of these but starts a server at import or during its boot (`app.listen(process.env.PORT)`, NestJS\'s `await app.listen(3000)`), `listen`: its listen() binds nothing and its server gets the requests of the connections the arbiter hands over, as in node:cluster\'s workers. The listen() must name one of the app\'s `listen` ports (or socket paths), or any port when the app has one `listen` address (docs/TSGI.md §3).' }),
    extra_listen: setting({ kind: oneOf(['refuse', 'bind'] as const), default: 'refuse', description: 'For an app served through its own listen() (`interface: listen`): what a second listen() does, such as an admin or metrics port the app opens. `refuse`: a boot error (TSGI_ERR_APP_LISTEN) naming the file and line, or after boot a logged error and the server\'s \'error\' event. `bind`: that server binds its address for real in every worker, so with several workers it needs `reusePort` or a port per worker (node:cluster would share it; PM2 has no such check).' }),
    listen: setting({ kind: listens, default: [], description: 'Where the app accepts connections. None (the default): a background app, which runs `app` or `command` in `workers` processes and takes no connections (docs/TSGI.md §10).', example: ['127.0.0.1:8000', 'unix:run/app.sock'] }),
    workers: setting({ kind: integer({ min: 1, max: 'max_workers' }), default: 1, description: 'Number of worker processes. `tsgictl scale` writes its new value back here.' }),
    autostart: setting({ kind: boolean, default: true, description: "Start the app's workers when tsgid starts, the app is added or a config reload sets it back to true; `false` keeps the app configured, its sockets open (answering 503), and no worker running. `tsgictl stop` writes `autostart: false` here and `tsgictl start` removes it, so a stopped app stays stopped over a config reload and a restart of tsgid (supervisord's `autostart`)." }),
    cwd: setting({ kind: directory, default: '.', description: "The workers' working directory, and the base for module paths." }),
    env: setting({ kind: stringMap, default: {}, description: `Environment variables for the workers, on top of \`env_file\`'s. Their values (${REDACT_MIN_LENGTH} characters or longer) are shown as \`[redacted]\` in boot errors (status, API, dashboard, tsgid's log).`, example: { NODE_ENV: 'production' } }),
    env_file: setting({ kind: filePath, description: "A dotenv file (`NAME=value` lines) of more variables for the workers, read by tsgid at every worker start, so `tsgictl reload` passes on a rotated secret; `env` wins over it. Its values are redacted like `env`'s. Missing or malformed: a config error; readable by group or others: a warning (chmod 600). Docker Compose's and systemd's `env_file`/`EnvironmentFile=`.", example: '/etc/tsgi/shop.env' }),
    inherit_env: setting({ kind: envNames, default: false, description: `Variables of tsgid's own environment the workers get beyond the short default list (${BASE_ENV.join(', ')}); \`true\` passes everything (warned by \`tsgid --check\`). Never passed, even so: TSGI_TOKEN, a variable the config names in \`admin\` or only in another app, and the admin token's value. (gunicorn and PM2 pass the whole environment; systemd passes almost none.)`, example: ['DATABASE_URL', 'AWS_*'] }),
    user: setting({ kind: user, description: "The account the workers run as (gunicorn's and supervisord's `user`): tsgid, as root, forks each worker with its uid and gid and keeps the sockets, log files and TLS keys itself, so the account needs only to read the app. Required when tsgid runs as root; `root` runs the app as root on purpose (TSGI_ALLOW_ROOT=1 in tsgid's environment allows it for every app that sets none). When tsgid is not root, only its own user may be named. An unknown user is an error.", example: 'www-data' }),
    group: setting({ kind: group, description: "The workers' group (gunicorn's `group`); default: `user`'s primary group. Workers get no supplementary groups: not tsgid's (which gunicorn keeps unless `initgroups`), nor the user's others (supervisord's initgroups).", example: 'www-data' }),
    umask: setting({ kind: umask, default: '0027', description: "The workers' file mode mask, set before the app loads. Files an app creates are not readable by other users, so apps run as different users cannot read each other's: gunicorn's default is 0 and supervisord keeps its own (usually 0022)." }),
    graceful_timeout: setting({ kind: duration, default: '30s', description: 'How long a stopping worker may take to finish in-flight requests before it is killed.' }),
    boot_timeout: setting({ kind: duration, default: '30s', description: 'How long a new worker may take to load the app and report ready.' }),
    timeout: setting({ kind: duration, default: '30s', description: 'Hung-worker guard: a worker whose heartbeat does not arrive within this is killed.' }),
    max_requests: setting({ kind: integer({ min: 0 }), default: 0, description: 'Recycle a worker after it has served this many requests (0: never); a replacement is ready before it drains, so no request is lost.' }),
    max_requests_jitter: setting({ kind: integer({ min: 0 }), default: 0, description: 'Add a random 0..N to each worker\'s `max_requests`, so workers of one pool do not all recycle at once.' }),
    max_memory: setting({ kind: size, default: 0, description: 'Recycle a ready worker whose resident memory exceeds this (0: no limit; a booting one is bounded by `boot_timeout`); replaced gracefully. Read every `stats_interval` (1s by default) and acted on at the read that finds it over: a busy worker is recycled within one interval of crossing it; one that had been idle (no CPU used: it cannot grow) is read only every 2nd, 4th, then 8th interval until it runs again, so within 8.', example: '512MB' }),
    limit_request_line: setting({ kind: integer({ min: 0, max: 8190 }), worker: 'requestLine', default: 4094, description: 'Longest request line (method, URL and version) in bytes; a longer one is answered 414 (0: no limit). The whole request head is also capped at 64KB, or at `limit_request_line` + `limit_request_field_size` if that is more: past the cap Node\'s parser answers 431, whatever the line\'s length.' }),
    limit_request_fields: setting({ kind: integer({ min: 1, max: 32768 }), worker: 'requestFields', default: 100, description: 'Most header fields a request may have; more are answered 431.' }),
    limit_request_field_size: setting({ kind: integer({ min: 0 }), worker: 'requestFieldSize', default: 8190, description: 'Longest header line (name, `: `, value and CRLF) in bytes; a longer one is answered 431 (0: no limit but the 64KB head cap of `limit_request_line`).' }),
    limit_request_body: setting({ kind: size, worker: 'requestBody', default: '10MB', description: 'Largest request body (0: no limit). A larger Content-Length is answered 413 without calling the app; a chunked body that grows past it is cut there, answered 413 if the response has not started (else the connection is closed; over HTTP/2 the stream is reset): the app never sees more. Applies to HTTP/1, TLS, HTTP/2 streams and `Upgrade:` requests. Default 10MB, between nginx\'s `client_max_body_size` (1MB) and Kestrel\'s `MaxRequestBodySize` (30MB); gunicorn has no limit. Raise it for an app that takes uploads.', example: '100MB' }),
    min_body_rate: setting({ kind: integer({ min: 0 }), worker: 'minBodyRate', default: 240, description: 'Slowest average rate, in bytes per second, at which a client must send a request body once `min_body_rate_grace` has passed; a slower one is answered 408 (or cut off if the response had started; over HTTP/2 its stream is reset) and logged (0: no minimum). Checked once a second, counted from the body\'s start, with the clock stopped while the app leaves received bytes unread. Kestrel\'s `MinRequestBodyDataRate` (240 B/s after 5s); nginx\'s `client_body_timeout` (60s between two reads) is the idle-timeout form of it; gunicorn has neither.' }),
    min_body_rate_grace: setting({ kind: duration, worker: 'bodyRateGrace', default: '5s', description: 'How long a request body may arrive slower than `min_body_rate` before the rate counts (Kestrel\'s grace period, 5s). While the worker is at `max_connections` the grace shrinks to 250ms: the slowest bodies are closed first to make room for new connections.' }),
    header_timeout: setting({ kind: duration, worker: 'headerTimeout', default: '10s', description: 'Time a client has to send complete request headers, counted from connecting or from the first byte of a request on a kept-alive connection; then it is answered 408 and disconnected, within a second (slowloris). Under TLS it also bounds the handshake (Node\'s own default: 120s). gunicorn: none for the sync worker; nginx\'s `client_header_timeout` and Kestrel\'s `RequestHeadersTimeout`: 60s and 30s. 0: no limit.' }),
    keepalive: setting({ kind: duration, worker: 'keepAlive', default: '5s', description: 'How long an idle kept-alive connection waits for its next request (0: no keep-alive, every response closes its connection).' }),
    max_connections: setting({ kind: integer({ min: 1 }), worker: 'maxConnections', default: 1000, description: 'Connections one worker serves at once (gunicorn\'s `worker_connections`, 1000; nginx\'s `worker_connections`, 512; Kestrel: no limit), so `workers` × this for the app. When a worker is full, a connection whose request body has arrived slower than `min_body_rate` for over 250ms is closed to make room (as nginx reuses idle keep-alive connections when short of them); with none such, the new connection is answered 503 (closed without a byte under TLS). Either is logged, at most once every 10s. No cap per client address: behind a proxy every client has the proxy\'s one.' }),
    request_timeout: setting({ kind: duration, worker: 'requestTimeout', default: 0, description: 'Time a request\'s response has to finish (0: no limit): then it is answered 503 with `Connection: close`, or its connection is cut if the response had started (over HTTP/2 its stream is reset), and logged; the worker carries on. For an `Upgrade:` request, the time the app has to answer it (write its first byte, a 101 or a refusal). Off by default, as in gunicorn (whose `timeout` kills the worker instead) and Kestrel; a slow client is bounded by `header_timeout` and `min_body_rate`, not by this.' }),
    backlog: setting({ kind: integer({ min: 1, max: 65535 }), default: 2048, description: 'Listen backlog of the app\'s sockets, and how many connections the arbiter holds for the app while no worker is ready; beyond it new ones are refused.' }),
    balance: setting({ kind: oneOf(BALANCE_POLICIES), default: 'round-robin', description: 'How the arbiter chooses the worker for each new connection. `round-robin`: each ready worker in turn (node:cluster\'s and nginx\'s default). `least-connections`: the worker with the fewest open connections (nginx\'s `least_conn`), for connections that differ in cost (WebSockets, long polls, slow requests). `ip-hash`: the same client address to the same worker while it lives (nginx\'s `ip_hash`), only for apps reached directly: behind a proxy every client has its address. `sticky`: socket.io/engine.io session affinity, also behind a proxy: the `sid` in a request\'s URL sends it to the worker that holds the session, which is what lets the default long-polling clients connect across workers; new sessions and plain requests go round-robin. For `sticky` the arbiter reads the first request line of each of the app\'s connections (bounded by `limit_request_line` and `header_timeout`, at most `backlog` at once) and hands the bytes on with it; the other policies read nothing. `sticky` needs plain HTTP (TLS terminated by a proxy in front). See docs/TSGI.md §5.3.' }),
    relay_max_message: setting({ kind: size, default: '1MB', description: 'Largest socket.io cluster-adapter message (`@socket.io/cluster-adapter`, JSON) the arbiter passes from one of the app\'s workers to the others; a larger or malformed one is dropped with one warning per worker. A node:cluster primary passes any size; Redis\'s default limit is 512MB, socket.io\'s `maxHttpBufferSize` 1MB.' }),
    hold_timeout: setting({ kind: duration, default: '30s', description: 'How long a connection waits in the arbiter while the app has no ready worker (a restart, a boot); then it is answered `503 Service Unavailable` with `Retry-After: 1` and closed (HAProxy\'s `timeout queue`; nginx\'s `proxy_connect_timeout` is 60s). A failed or stopped app answers 503 at once. A TLS app cannot be answered by the arbiter, which speaks no TLS: its connection is closed cleanly (FIN, after reading what the client sent) instead. Counted in `tsgi_app_unavailable_total`.' }),
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
  [oneKind, modulesExist, commandExists, cronJobShape, distinctListens, tlsFiles, stickyPlain, privileges, envFileReadable],
);

export const topSection = section(
  {
    admin: section({
      listen: setting({ kind: listen, default: 'unix:.tsgi/admin.sock', description: 'Where the admin API (used by tsgictl) listens. The default follows the config file\'s name: `.tsgi/admin.sock` for `tsgi.yaml`, `.tsgi/NAME.sock` for `NAME.yaml`, so two configs in one folder do not collide.' }),
      token: setting({ kind: text, description: 'Bearer token for the admin API; when unset, `admin.token_file` holds it.', example: '${TSGI_TOKEN}' }),
      token_file: setting({ kind: filePath, default: '.tsgi/admin.token', description: 'File holding the admin API token, used when `admin.token` is unset; `.tsgi/NAME.token` for a config file `NAME.yaml`.' }),
      tokens: setting({
        kind: namedSections(tokenSection, 'token', TOKEN_NAME),
        default: {},
        description: 'More admin API tokens over TCP, by name, each with a role: `read` may call every GET route but the apps\' logs (which may hold what an app prints: secrets), for dashboards and Prometheus; `full` may call everything, for deploys. The name, never the token, is what the audit records show. `admin.token` (or `token_file`) stays, as a `full` token named `admin`. Kubernetes\' RBAC roles `view` and `edit`; PM2 and supervisord have one password for everything.',
        example: { deploy: { token: '${DEPLOY_TOKEN}', role: 'full' }, grafana: { token_file: '/etc/tsgi/grafana.token', role: 'read' } },
      }),
    }, [adminExposure]),
    pidfile: setting({ kind: filePath, default: '.tsgi/tsgid.pid', description: "Where the daemon writes its process id (`.tsgi/NAME.pid` for a config file `NAME.yaml`); a live pid in it stops a second tsgid from starting (gunicorn\'s `pidfile`, which has no default)." }),
    stats_interval: setting({ kind: duration, default: '1s', description: 'How often one sampler reads the memory and CPU of the workers (for `max_memory`, status, metrics and the dashboard\'s history). The workers of an app with `max_memory` are read at every interval; the others at every interval while someone reads the figures (a status, metrics or history request in the last 10s: the dashboard and `tsgictl top` read each second), otherwise every 5th interval, their last figures standing in between. A worker that used no CPU since its last read (it cannot have grown) is read less often, up to every 8th interval. gunicorn samples nothing; PM2 reads every process every second.' }),
    max_workers: setting({ kind: integer({ min: 1 }), default: 128, description: "Ceiling for any app's `workers`." }),
    max_concurrent_boots: setting({ kind: integer({ min: 0 }), default: 0, description: 'Workers booting at once, across all apps (scale-up, restarts, reloads, daemon start); the others wait their turn, and `boot_timeout` counts from when a worker\'s turn starts. 0: twice the number of CPUs. PM2 starts cluster instances one at a time; gunicorn spawns all at once.' }),
    shutdown_delay: setting({ kind: duration, default: 0, description: 'On SIGTERM, how long tsgid keeps serving after `GET /v1/ready` turns 503 and before the drain begins, so a load balancer (Kubernetes endpoints) stops sending first; a second SIGTERM or SIGINT skips the rest of it.', example: '5s' }),
    upgrade_timeout: setting({ kind: duration, default: '60s', description: 'How long a new tsgid started by `tsgictl upgrade` (or SIGUSR2) has to get every running app\'s workers ready on the inherited sockets; past it the new one is stopped and the old one keeps serving. gunicorn and nginx wait for ever (the operator sends QUIT to the old master).', example: '2m' }),
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
export type Config = Simplify<{ file: string; dir: string; env_references?: EnvReference[] } & ValuesOf<typeof topSection.fields>>;
