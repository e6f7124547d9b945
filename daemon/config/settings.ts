/**
 * Every tsgi setting, declared once: key, kind (type, parser, schema), default, description.
 * Validation, the Config / AppConfig types, the admin API's JSON schema and docs/config.md are
 * all derived from this file. To add a setting, add one `setting({...})` line to its section.
 */
import type { AppInterface } from '../protocol.js';
import { section, setting, type Simplify, type ValuesOf } from './declare.js';
import { listens, moduleSpec, mountMap, stringMap } from './app-kinds.js';
import { directory, duration, filePath, integer, listen, oneOf, text } from './kinds.js';
import { distinctListens, exactlyOne, modulesExist, uniqueListens } from './rules.js';
import { namedSections } from './validate.js';
import { watchSpec } from './watch-kind.js';

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
    restart: restartSection,
    watch: setting({ kind: watchSpec, default: false, description: 'Reload the app (rolling, as `tsgictl reload`) when its files change; for development.', example: { paths: ['src'], ignore: ['*.tmp'], debounce: '300ms' } }),
  },
  [exactlyOne('app', 'mounts'), modulesExist, distinctListens],
);

export const topSection = section(
  {
    admin: section({
      listen: setting({ kind: listen, default: 'unix:.tsgi/admin.sock', description: 'Where the admin API (used by tsgictl) listens.' }),
      token: setting({ kind: text, description: 'Bearer token for the admin API; when unset, `admin.token_file` holds it.', example: '${TSGI_TOKEN}' }),
      token_file: setting({ kind: filePath, default: '.tsgi/admin.token', description: 'File holding the admin API token, used when `admin.token` is unset.' }),
    }),
    pidfile: setting({ kind: filePath, default: '.tsgi/tsgid.pid', description: "Where the daemon writes its process id." }),
    max_workers: setting({ kind: integer({ min: 1 }), default: 128, description: "Ceiling for any app's `workers`." }),
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
