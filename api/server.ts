/** The admin API as a fastify instance: tests drive it with supertest, tsgid listens with it. */
import Fastify, { type FastifyInstance } from 'fastify';
import { installAuth } from './auth.js';
import type { Control } from './control.js';
import { installErrorHandling } from './errors.js';
import { appRoutes } from './routes/apps.js';

export interface ApiOptions {
  /** required on every route but /v1/health when set */
  token?: string;
  /** ceiling for any app's workers (the max_workers setting) */
  maxWorkers?: number;
}

/** A few MB: more than any real app definition, little enough that a flood cannot hurt. */
const BODY_LIMIT = 2 * 1024 * 1024;

export function buildApi(control: Control, options: ApiOptions = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    // no coercion: `"+1"` must stay a relative scale, and -4 must not pass as "-4"
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  installErrorHandling(app);
  installAuth(app, options.token);
  app.get('/v1/health', async () => ({ status: 'ok' }));
  appRoutes(app, control, options.maxWorkers ?? 128);
  return app;
}
