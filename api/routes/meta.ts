/**
 * /v1/health (liveness), /v1/ready (readiness), both open so probes need no token, and
 * /v1/openapi.json (generated from the routes themselves).
 */
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../../daemon/errors.js';
import type { Control } from '../control.js';
import { openApiDocument, type RouteDoc } from '../openapi.js';
import { errorBody } from '../schemas.js';
import { packageVersion } from '../version.js';

const notReady = {
  ...errorBody,
  description: 'Not ready (TSGI_ERR_DAEMON_NOT_READY); `reasons` says what is missing',
  properties: { ...errorBody.properties, reasons: { type: 'array', items: { type: 'string' } } },
};

export function metaRoutes(app: FastifyInstance, routes: readonly RouteDoc[], control: Control): void {
  app.get('/v1/health', { schema: { summary: 'Liveness; needs no token', tags: ['meta'] }, config: { ok: { status: 200, description: 'Alive', schema: { type: 'object', properties: { status: { const: 'ok' } } } } } }, async () => ({ status: 'ok' }));

  app.get(
    '/v1/ready',
    {
      schema: {
        summary: 'Readiness; needs no token',
        description: 'Ready when every app has its target workers ready (an app stopped on purpose counts as ready, a failed one does not) and tsgid is not shutting down. For a load balancer or a Kubernetes readinessProbe; /v1/health is the liveness check.',
        tags: ['meta'],
        response: { 503: notReady },
      },
      config: { ok: { status: 200, description: 'Ready', schema: { type: 'object', properties: { status: { const: 'ready' } } } } },
    },
    async (_req, reply) => {
      const r = control.readiness();
      if (r.ready) return { status: 'ready' };
      const err = new TsgiError('TSGI_ERR_DAEMON_NOT_READY', `not ready: ${r.reasons.join('; ')}`);
      return reply.code(err.status as 503).send({ ...err.toJSON(), reasons: r.reasons });
    },
  );

  let doc: unknown;
  app.get('/v1/openapi.json', { schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['meta'] }, config: { ok: { status: 200, description: 'The document' } } }, async () => {
    // built on first use, when every route is registered
    doc ??= openApiDocument(routes, packageVersion());
    return doc;
  });
}
