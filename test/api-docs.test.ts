/**
 * docs/api.md's routes table and the OpenAPI document the daemon serves list the same routes
 * (method and path), so a route added, renamed or removed shows in both or the suite fails. The
 * dashboard's page is in the docs but, being HTML, not in the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { PAGE_ROUTES } from '../api/routes/dashboard.js';
import { buildApi } from '../api/server.js';
import { Arbiter } from '../daemon/arbiter/arbiter.js';
import { parseConfig } from '../daemon/config/index.js';
import { silentLogger } from '../daemon/log.js';
import { ROOT, tempDir } from './helpers/daemon.js';

/** `GET /v1/apps/{name}` for each row of the "## Routes" table of docs/api.md (`:name` written as `{name}`). */
function documentedRoutes(): string[] {
  const text = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const start = text.indexOf('\n## Routes\n');
  assert.ok(start >= 0, 'docs/api.md has a "## Routes" section');
  const section = text.slice(start + 1).split(/\n## /)[0]!;
  const rows = [...section.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/[^`]*)` \|/gm)];
  return rows.filter((m) => !PAGE_ROUTES.has(m[2]!)).map((m) => `${m[1]} ${m[2]!.replace(/:(\w+)/g, '{$1}')}`);
}

describe('docs/api.md and /v1/openapi.json', () => {
  let api: FastifyInstance;

  before(async () => {
    const dir = tempDir('tsgi-api-docs-');
    // an arbiter never started: the document is built from the routes, which need no app
    api = buildApi(new Arbiter(parseConfig('apps: {}\n', join(dir, 'tsgi.yaml')), silentLogger));
    await api.ready();
  });

  after(async () => {
    await api?.close();
  });

  it('list the same routes, method and path', { timeout: 30_000 }, async () => {
    const res = await api.inject({ method: 'GET', url: '/v1/openapi.json' });
    assert.equal(res.statusCode, 200);
    const paths = (res.json() as { paths: Record<string, Record<string, unknown>> }).paths;
    const served = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const documented = documentedRoutes();
    assert.equal(new Set(documented).size, documented.length, 'no route is documented twice');
    assert.deepEqual(documented.sort(), served.sort());
  });
});
