/**
 * The one catalog of tsgi errors, shared by the daemon, the admin API and tsgictl.
 *
 * Every failure a user can see has a stable code `TSGI_ERR_<AREA>_<WHAT>`, an HTTP status
 * (what the admin API answers with) and a CLI exit status (what tsgictl exits with).
 * docs/errors.md lists the same codes; test/errors-catalog.test.ts keeps the two in step.
 */

export interface ErrorSpec {
  /** HTTP status the admin API answers with. */
  readonly status: number;
  /** tsgictl exit status: 1 the action failed, 2 usage or invalid input, 3 daemon unreachable. */
  readonly exit: 1 | 2 | 3;
  /** One line for docs/errors.md. */
  readonly description: string;
}

export const ERRORS = {
  TSGI_ERR_CONFIG_INVALID: { status: 400, exit: 2, description: 'The configuration failed validation: a wrong type, an unknown key, a bad value.' },
  TSGI_ERR_CONFIG_YAML: { status: 400, exit: 2, description: 'The configuration file is not valid YAML.' },
  TSGI_ERR_CONFIG_READ: { status: 400, exit: 2, description: 'The configuration file could not be read.' },
  TSGI_ERR_CONFIG_ENV: { status: 400, exit: 2, description: 'A ${VAR} in the configuration names an environment variable that is not set.' },
  TSGI_ERR_CONFIG_ENV_FILE: { status: 400, exit: 2, description: "An app's `env_file` cannot be read, or a line in it is not `NAME=value`." },
  TSGI_ERR_CONFIG_APP_MISSING: { status: 400, exit: 2, description: "An app's module file, or the program of its `command`, does not exist (or is not executable)." },
  TSGI_ERR_CONFIG_USER: { status: 400, exit: 2, description: "An app's `user` or `group` names no account, tsgid (not root) cannot switch to it, or that account cannot read the worker's or the app's files." },
  TSGI_ERR_CONFIG_WRITE: { status: 409, exit: 1, description: 'A change made through the admin API could not be written back into the config file (read-only file or folder, disk full, the file is no longer valid YAML): the change was refused and nothing was applied.' },
  TSGI_ERR_CONFIG_ROOT: { status: 400, exit: 2, description: 'tsgid runs as root and an app sets no `user`: its workers would run as root. Set `user`, or `user: root` to mean it.' },
  TSGI_ERR_LISTEN_IN_USE: { status: 409, exit: 2, description: 'A listen address is already taken by another process.' },
  TSGI_ERR_LISTEN_FD_UNMATCHED: { status: 400, exit: 2, description: 'systemd passed a socket (LISTEN_FDS) that no app takes: its FileDescriptorName= (LISTEN_FDNAMES) is no app\'s name, or it is unnamed and there are several apps.' },
  TSGI_ERR_LISTEN_FAILED: { status: 500, exit: 1, description: 'A listening socket could not be opened (permissions, missing directory, ...).' },
  TSGI_ERR_APP_NOT_FOUND: { status: 404, exit: 1, description: 'No app of that name is configured.' },
  TSGI_ERR_APP_EXISTS: { status: 409, exit: 1, description: 'An app of that name already exists.' },
  TSGI_ERR_APP_BOOT: { status: 422, exit: 1, description: "The app's code failed to boot (throws at import, factory rejects, not ready in time)." },
  TSGI_ERR_APP_FAILED: { status: 409, exit: 1, description: 'The app is marked failed after a crash loop or a boot failure; it is retried after `restart.retry_failed`, or at once by a start.' },
  TSGI_ERR_APP_UNSTABLE: { status: 409, exit: 1, description: 'The app\'s workers became ready but one crashed within `restart.min_uptime` of it: the start did not hold (the app is being restarted with backoff).' },
  TSGI_ERR_APP_INTERFACE: { status: 422, exit: 1, description: 'The export is none of the interfaces tsgi hosts (node listener, fetch, Koa, Fastify).' },
  TSGI_ERR_APP_LISTEN: { status: 422, exit: 1, description: "An app that starts its own server called listen() on an address that is not its own, on a server that is not node:http, or a second time (without `extra_listen: bind`)." },
  TSGI_ERR_JOB_RUNNING: { status: 409, exit: 1, description: 'A run of this scheduled job (`cron`) is still going and its `overlap` is `skip`: no second run was started (wait for it, or set `overlap: queue`).' },
  TSGI_ERR_JOB_NOT_SCALABLE: { status: 409, exit: 1, description: '`scale` on a scheduled job (`cron`): each run is one process and runs never overlap, so a job has no workers to scale (`workers` on such an app is refused when the config is loaded).' },
  TSGI_ERR_JOB_NOT_SCHEDULED: { status: 409, exit: 1, description: '`run` starts a scheduled job now, and this app has no `cron`, or it is stopped (`tsgictl start` it first).' },
  TSGI_ERR_WORKER_NOT_FOUND: { status: 404, exit: 1, description: 'The app has no live worker of that id (it may have exited and been replaced: ids are never reused).' },
  TSGI_ERR_WORKER_NOT_READY: { status: 409, exit: 1, description: 'Only a ready worker of a running app can be stopped; this one is starting, draining, or its app is stopping.' },
  TSGI_ERR_API_VALIDATION: { status: 400, exit: 2, description: 'A request to the admin API failed schema validation.' },
  TSGI_ERR_API_UNAUTHORIZED: { status: 401, exit: 1, description: 'The admin API call carried no valid token.' },
  TSGI_ERR_API_FORBIDDEN: { status: 403, exit: 1, description: 'The admin API token is valid but its role does not allow this call: a `read` token may only read (GET), and not the apps\' logs.' },
  TSGI_ERR_API_NOT_FOUND: { status: 404, exit: 1, description: 'No admin API route at that path.' },
  TSGI_ERR_API_CONTENT_TYPE: { status: 415, exit: 2, description: 'The admin API request body is not JSON (it takes `content-type: application/json` only).' },
  TSGI_ERR_API_BODY_TOO_LARGE: { status: 413, exit: 2, description: 'The admin API request body is over the limit.' },
  TSGI_ERR_API_INTERNAL: { status: 500, exit: 1, description: 'An unexpected error in the admin API; the daemon keeps running.' },
  TSGI_ERR_CLI_USAGE: { status: 400, exit: 2, description: 'tsgictl was called with wrong arguments.' },
  TSGI_ERR_CLI_UNREACHABLE: { status: 503, exit: 3, description: 'tsgictl could not reach the daemon at the address it names.' },
  TSGI_ERR_DAEMON_RUNNING: { status: 409, exit: 2, description: 'Another tsgid holds the pidfile (it is alive): stop it, or give this config its own `pidfile:`.' },
  TSGI_ERR_DAEMON_SHUTTING_DOWN: { status: 503, exit: 1, description: 'The daemon is shutting down and takes no more commands.' },
  TSGI_ERR_DAEMON_NODE_VERSION: { status: 500, exit: 2, description: 'tsgid was started on a Node.js older than its package.json\'s `engines` allows.' },
  TSGI_ERR_DAEMON_UPGRADE_FAILED: { status: 502, exit: 1, description: '`tsgictl upgrade` (SIGUSR2): the new tsgid did not take over (a config error, a crash, apps not ready within `upgrade_timeout`); the old one keeps serving. The message gives its reason.' },
  TSGI_ERR_DAEMON_UPGRADE_BUSY: { status: 409, exit: 1, description: 'An upgrade is already under way (or this tsgid is still taking over from the last one).' },
  TSGI_ERR_DAEMON_NOT_READY: { status: 503, exit: 1, description: 'GET /v1/ready: an app has fewer ready workers than its target, has failed, or tsgid is shutting down (the body lists `reasons`).' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A failure with a catalog code. `cause` keeps the original error for logs. */
export class TsgiError extends Error {
  override readonly name = 'TsgiError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly exit: 1 | 2 | 3;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ERRORS[code].status;
    this.exit = ERRORS[code].exit;
  }

  /** The body the admin API sends: `{ error: { code, message } }`. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isTsgiError(err: unknown): err is TsgiError {
  return err instanceof TsgiError;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}
