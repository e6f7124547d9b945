/**
 * The OpenAPI 3.1 document, generated from the routes as fastify registers them (onRoute), so
 * it lists what is served and validates what is validated: nothing written twice.
 * A route says what success looks like in its `config.ok`; everything else comes from its schema.
 */
import type { FastifyInstance } from 'fastify';
import { OPEN_ROUTES } from './auth.js';
import { PAGE_ROUTES } from './routes/dashboard.js';
import { errorBody } from './schemas.js';

type Schema = Record<string, unknown>;

export interface OkDoc {
  status: number;
  description: string;
  schema?: Schema;
}

declare module 'fastify' {
  /** read only by the OpenAPI document; fastify ignores them */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
  interface FastifyContextConfig {
    /** for the OpenAPI document: the success status and what it carries (default 200, "OK") */
    ok?: OkDoc;
  }
}

export interface RouteDoc {
  method: string;
  url: string;
  schema: Schema;
  ok: OkDoc;
}

/** Call before any route is added: the returned list fills as routes are registered. */
export function collectRoutes(app: FastifyInstance): RouteDoc[] {
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      // fastify adds a HEAD twin for every GET; it is not part of the API we describe
      if (method === 'HEAD') continue;
      // the dashboard's page and assets are not part of the API (HTML, JS, CSS)
      if (PAGE_ROUTES.has(r.url)) continue;
      routes.push({ method: method.toLowerCase(), url: r.url, schema: (r.schema ?? {}) as Schema, ok: r.config?.ok ?? { status: 200, description: 'OK' } });
    }
  });
  return routes;
}

export function openApiDocument(routes: readonly RouteDoc[], version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[r.method] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsgid admin API',
      version,
      description: 'Controls a running tsgid. Over a unix socket the file mode is the gate and no token is needed; over TCP every route but /v1/health and /v1/ready needs `Authorization: Bearer TOKEN`. Errors are `{ "error": { "code", "message" } }` with the codes of docs/errors.md.',
    },
    components: {
      schemas: { Error: errorBody },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'admin.token, or the content of admin.token_file (TCP only)' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function operation(r: RouteDoc): Schema {
  const s = r.schema;
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  const responses: Record<string, Schema> = {
    [String(r.ok.status)]: { description: r.ok.description, content: json(r.ok.schema ?? { type: 'object' }) },
  };
  if ((s.querystring as { properties?: Schema } | undefined)?.properties?.wait !== undefined) {
    responses['202'] = { description: 'Accepted, with ?wait=false: the outcome shows in status', content: json({ type: 'object', properties: { accepted: { const: true } } }) };
  }
  for (const [status, schema] of Object.entries((s.response ?? {}) as Record<string, Schema>)) {
    responses[status] = { description: (schema.description as string | undefined) ?? 'An error', content: json(schema) };
  }
  responses.default = { description: 'An error; the code says which (docs/errors.md)', content: json({ $ref: '#/components/schemas/Error' }) };
  const op: Schema = {
    operationId: operationId(r.method, r.url),
    ...(s.summary !== undefined && { summary: s.summary }),
    ...(s.description !== undefined && { description: s.description }),
    ...(s.tags !== undefined && { tags: s.tags }),
    parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
    ...(s.body !== undefined && { requestBody: { required: true, content: json(s.body) } }),
    responses,
  };
  if (OPEN_ROUTES.has(r.url)) op.security = [];
  return op;
}

function parameters(schema: unknown, where: 'path' | 'query'): Schema[] {
  const { properties = {}, required = [] } = (schema ?? {}) as { properties?: Record<string, Schema>; required?: string[] };
  return Object.entries(properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    ...(p.description !== undefined && { description: p.description }),
    schema: p,
  }));
}

/** `post /v1/apps/:name/scale` → `postAppsNameScale` */
function operationId(method: string, url: string): string {
  const words = url.split('/').filter((w) => w !== '' && w !== 'v1').map((w) => w.replace(/^:/, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase()));
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
