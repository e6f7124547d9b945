/**
 * A worker's environment, built from an allow-list rather than tsgid's whole environment: the
 * daemon's may hold the admin token and every other app's secrets. A worker gets the short list
 * below from tsgid's environment, what its app's `inherit_env` adds, its `env_file`, its `env`,
 * and what tsgi itself sets (TSGI_WORKER_SPEC, process-ops.ts). Never TSGI_TOKEN, nor a variable
 * the config names under `admin` or only in another app, nor the admin token's value.
 */
import type { AppConfig, Config } from '../config/index.js';
import { readEnvFile } from '../config/env-file.js';
import type { ListenPlan } from '../worker/intercept-listen.js';

/**
 * What every program expects to find, and nothing secret. NODE_OPTIONS is not in it: tsgid's own
 * Node flags are not the app's (process-ops.ts spawns with empty execArgv for the same reason);
 * an app sets it in its `env`.
 */
export const BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TMPDIR', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'] as const;

/** tsgictl's variable for the admin token: no app has a use for it. */
const ALWAYS_WITHHELD = ['TSGI_TOKEN'];

/**
 * Values shorter than this are not redacted from boot errors: "1", "true" or "8000" would cut
 * holes in ordinary words and numbers, and are no secret.
 */
export const REDACT_MIN_LENGTH = 6;

export interface Withheld {
  names: ReadonlySet<string>;
  values: ReadonlySet<string>;
}

export const NOTHING_WITHHELD: Withheld = { names: new Set(ALWAYS_WITHHELD), values: new Set() };

export interface WorkerEnv {
  env: Record<string, string>;
  /** the values of `env` and `env_file`, longest first, to redact from what the worker reports */
  secrets: string[];
}

/** Throws (a ValueError naming the file) when `env_file` cannot be read or parsed. */
export function buildWorkerEnv(app: AppConfig, parent: NodeJS.ProcessEnv, withheld: Withheld): WorkerEnv {
  const env: Record<string, string> = {};
  const wanted = [...BASE_ENV, ...(Array.isArray(app.inherit_env) ? app.inherit_env : [])];
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || withheld.names.has(name) || withheld.values.has(value)) continue;
    if (app.inherit_env === true || wanted.some((w) => matches(w, name))) env[name] = value;
  }
  // a worker run as another account is that account's session, not tsgid's (root's HOME is no place for its files)
  if (app.user !== undefined) Object.assign(env, { HOME: app.user.home, USER: app.user.name, LOGNAME: app.user.name });
  const fromFile = app.env_file === undefined ? {} : readEnvFile(app.env_file);
  Object.assign(env, fromFile, app.env);
  // read and removed by the worker before the app loads (intercept-listen.ts)
  env.TSGI_LISTEN = JSON.stringify(listenPlan(app));
  const secrets = [...new Set([...Object.values(fromFile), ...Object.values(app.env)])].filter((v) => v.length >= REDACT_MIN_LENGTH);
  return { env, secrets: secrets.sort((a, b) => b.length - a.length) };
}

function listenPlan(app: AppConfig): ListenPlan {
  const addresses = app.listen.map((a) => (a.kind === 'tcp' ? { kind: a.kind, host: a.host, port: a.port } : { kind: a.kind, path: a.path }));
  return { addresses, extra: app.extra_listen, bootTimeout: app.boot_timeout };
}

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * For app `app` of `config`: the variables the config names under `admin` or in other apps and not
 * in this one, and the admin token itself (whatever variable holds it).
 */
export function withheldFor(config: Config, app: string): Withheld {
  const refs = config.env_references ?? [];
  const mine = new Set(refs.filter((r) => r.path[0] === 'apps' && r.path[1] === app).map((r) => r.name));
  const names = new Set(ALWAYS_WITHHELD);
  for (const { name, path } of refs) {
    if (path[0] === 'admin' || (path[0] === 'apps' && path[1] !== app && !mine.has(name))) names.add(name);
  }
  // every admin token's value, admin.tokens' too: a worker must not hold the keys to the daemon
  const tokens = [config.admin.token, ...Object.values(config.admin.tokens ?? {}).map((t) => t.token)];
  return { names, values: new Set(tokens.filter((t): t is string => t !== undefined && t !== '')) };
}

/** Replaces every secret in `text` with `[redacted]`; `secrets` longest first, so none is left half-shown. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/** What `tsgid --check` and tsgid's start warn about: settings that open more than they should. */
export function envWarnings(config: Config, exposure: (file: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const app of Object.values(config.apps)) {
    if (app.inherit_env === true) out.push(`apps.${app.name}.inherit_env: true passes tsgid's whole environment to the workers (but TSGI_TOKEN, the admin token and other apps' variables); list the names it needs instead`);
    const open = app.env_file === undefined ? undefined : exposure(app.env_file);
    if (open !== undefined) out.push(`apps.${app.name}.env_file: ${open}`);
  }
  return out;
}
