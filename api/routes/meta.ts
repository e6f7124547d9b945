/** /v1/health (open: says only "alive") and /v1/openapi.json (generated from the routes themselves). */
import type { FastifyInstance } from 'fastify';
import { openApiDocument, type RouteDoc } from '../openapi.js';
import { packageVersion } from '../version.js';

export function metaRoutes(app: FastifyInstance, routes: readonly RouteDoc[]): void {
  app.get('/v1/health', { schema: { summary: 'Liveness; needs no token', tags: ['meta'] }, config: { ok: { status: 200, description: 'Alive', schema: { type: 'object', properties: { status: { const: 'ok' } } } } } }, async () => ({ status: 'ok' }));

  let doc: unknown;
  app.get('/v1/openapi.json', { schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['meta'] }, config: { ok: { status: 200, description: 'The document' } } }, async () => {
    // built on first use, when every route is registered
    doc ??= openApiDocument(routes, packageVersion());
    return doc;
  });
}
