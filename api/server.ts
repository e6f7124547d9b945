/** The admin API as a fastify instance: tests drive it with supertest, tsgid listens with it. */
import { setImmediate as turn } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { parsedDefault, topSection, type ListenAddress } from '../daemon/config/index.js';
import type { Logger } from '../daemon/log.js';
import { installAudit } from './audit.js';
import { installAuth, type ApiToken } from './auth.js';
import type { Control } from './control.js';
import { frameworkErrors, installErrorHandling } from './errors.js';
import { collectRoutes } from './openapi.js';
import { appRoutes } from './routes/apps.js';
import { configRoutes } from './routes/config.js';
import { metricsRoutes } from './routes/metrics.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { logRoutes } from './routes/logs.js';
import { metaRoutes } from './routes/meta.js';
import { upgradeRoutes } from './routes/upgrade.js';
import type { UpgradeResult } from '../daemon/upgrade/upgrade.js';
import type { ServerFactory } from './lazy-api.js';
import { lazySchemas } from './lazy-schemas.js';

export interface ApiOptions {
  /** required on every route but /v1/health and /v1/ready when set: a full-role token named `admin` */
  token?: string;
  /** more tokens, each with a role (admin.tokens) */
  tokens?: ApiToken[];
  /** ceiling for any app's workers (the max_workers setting; default: that setting's default) */
  maxWorkers?: number;
  /** where relative paths of an added app resolve (default: the config file's directory) */
  baseDir?: string;
  /** the admin API's own address, which an added app may not take */
  adminListen?: ListenAddress;
  /** where 5xx errors are logged */
  log?: Logger;
  /** POST /v1/upgrade: hand the sockets to the tsgid installed now (daemon/upgrade/upgrade.ts) */
  upgrade?: () => Promise<UpgradeResult>;
  /** serve on this server (tsgid's admin listener, bound before fastify is loaded: lazy-api.ts) */
  serverFactory?: ServerFactory;
}

const MAX_WORKERS = parsedDefault(topSection.fields.max_workers);

/** A few MB: more than any real app definition, little enough that a flood cannot hurt. */
export const BODY_LIMIT = 2 * 1024 * 1024;

export function buildApi(control: Control, options: ApiOptions = {}): FastifyInstance {
  const parts = building(control, options);
  for (;;) {
    const part = parts.next();
    if (part.done === true) return part.value;
  }
}

/** The same API with a turn of the event loop between its parts: tsgid builds it on the arbiter's loop (lazy-api.ts). */
export async function buildApiInSteps(control: Control, options: ApiOptions = {}): Promise<FastifyInstance> {
  const parts = building(control, options);
  for (;;) {
    const part = parts.next();
    if (part.done === true) return part.value;
    await turn();
  }
}

/** Builds the API, pausing (`yield`) between parts that each take a few ms at most. */
function* building(control: Control, options: ApiOptions): Generator<void, FastifyInstance> {
  const schemas = lazySchemas((err) => options.log?.error(`admin API: a route's schema does not compile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    frameworkErrors,
    ...(options.serverFactory !== undefined && { serverFactory: options.serverFactory }),
    // no coercion: `"+1"` must stay a relative scale, and -4 must not pass as "-4"; no defaults
    // filled in either: parseAppInput applies them, and is the authority on every value. No
    // optimizing pass over the generated code: the same checks, compiled in ~40 % less time.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, code: { optimize: false } } },
    // compiled after ready, one per turn of the loop (lazy-schemas.ts), not all at once in ready()
    schemaController: { compilersFactory: schemas.compilersFactory },
  });
  app.addHook('onReady', (done) => {
    void schemas.compileAll();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    schemas.stop();
    done();
  });
  // JSON in, nothing else: a text/plain body is refused (415), not validated as a string
  app.removeContentTypeParser('text/plain');
  const routes = collectRoutes(app);
  installErrorHandling(app, options.log);
  const tokens = [...(options.token === undefined ? [] : [{ name: 'admin', token: options.token, role: 'full' as const }]), ...(options.tokens ?? [])];
  installAuth(app, options.token === undefined && options.tokens === undefined ? undefined : tokens);
  installAudit(app, control, options.log);
  yield;
  metaRoutes(app, routes, control);
  yield;
  appRoutes(app, control, { maxWorkers: options.maxWorkers ?? MAX_WORKERS, baseDir: options.baseDir, adminListen: options.adminListen });
  yield;
  configRoutes(app, control);
  upgradeRoutes(app, options.upgrade);
  metricsRoutes(app, control);
  eventRoutes(app, control);
  yield;
  dashboardRoutes(app);
  logRoutes(app, control);
  return app;
}
