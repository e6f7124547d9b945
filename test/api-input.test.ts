/**
 * Bad input to the admin API: garbage and oversized bodies, wrong content types, path tricks in
 * app names, out-of-range numbers, unknown apps and routes. Each gets its exact code and status,
 * never a 500, and the daemon answers normally right after. Paths go out byte for byte (node:http),
 * since URL parsers in HTTP clients would normalise `..` and `%2e%2e` before sending.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.js';
import { Arbiter } from '../daemon/arbiter/arbiter.js';
import { loadConfig } from '../daemon/config/index.js';
import { silentLogger } from '../daemon/log.js';
import { FIXTURES, tempDir } from './helpers/daemon.js';

const TOKEN = 'input-test-token';

interface Raw {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: http.OutgoingHttpHeaders;
}

describe('admin API input validation', () => {
  const dir = tempDir('tsgi-api-input-');
  let arbiter: Arbiter;
  let api: FastifyInstance;
  let port: number;

  /** One request exactly as written; resolves with status and parsed body. */
  function raw({ method = 'GET', path, body, headers = {} }: Raw): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new Error(`not JSON (${res.statusCode}): ${text}`));
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const json = (method: string, path: string, value: unknown): Raw => ({ method, path, body: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': 'application/json' } });

  before(async () => {
    copyFileSync(join(FIXTURES, 'daemon/node-app.mjs'), join(dir, 'app.mjs'));
    writeFileSync(join(dir, 'tsgi.yaml'), 'apps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n');
    arbiter = new Arbiter(loadConfig(join(dir, 'tsgi.yaml')), silentLogger);
    await arbiter.start();
    await arbiter.command({ kind: 'start', app: 'web' });
    api = buildApi(arbiter, { token: TOKEN, maxWorkers: 4 });
    await api.listen({ host: '127.0.0.1', port: 0 });
    port = (api.server.address() as AddressInfo).port;
  });

  after(async () => {
    await api?.close();
    await arbiter?.command({ kind: 'shutdown' });
  });

  const V = 'TSGI_ERR_API_VALIDATION';
  const cases: Array<[string, Raw, number, string]> = [
    // names: path tricks, encodings, case, length
    ['dot-dot segment', { path: '/v1/apps/../apps' }, 404, 'TSGI_ERR_API_NOT_FOUND'],
    ['dot-dot to another route', { path: '/v1/apps/../health/x' }, 404, 'TSGI_ERR_API_NOT_FOUND'],
    ['encoded dot-dot', { path: '/v1/apps/%2e%2e' }, 400, V],
    ['encoded traversal', { path: '/v1/apps/..%2f..%2fetc%2fpasswd' }, 400, V],
    ['encoded traversal in an action', { method: 'POST', path: '/v1/apps/%2e%2e%2fweb/stop' }, 400, V],
    ['NUL', { path: '/v1/apps/web%00' }, 400, V],
    ['NUL alone', { method: 'DELETE', path: '/v1/apps/%00' }, 400, V],
    ['uppercase', { path: '/v1/apps/WEB' }, 400, V],
    ['uppercase action', { method: 'POST', path: '/v1/apps/Web/reload' }, 400, V],
    ['bad percent-encoding', { path: '/v1/apps/%zz' }, 400, V],
    ['65 characters', { path: `/v1/apps/${'a'.repeat(65)}` }, 400, V],
    ['300 characters', { path: `/v1/apps/${'a'.repeat(300)}` }, 400, V],
    ['leading dash', { path: '/v1/apps/-web' }, 400, V],
    ['unknown app', { path: '/v1/apps/nope' }, 404, 'TSGI_ERR_APP_NOT_FOUND'],
    ['unknown app, action', { method: 'POST', path: '/v1/apps/nope/restart' }, 404, 'TSGI_ERR_APP_NOT_FOUND'],
    ['unknown app, scale', json('POST', '/v1/apps/nope/scale', { workers: 1 }), 404, 'TSGI_ERR_APP_NOT_FOUND'],
    ['unknown app, remove', { method: 'DELETE', path: '/v1/apps/nope' }, 404, 'TSGI_ERR_APP_NOT_FOUND'],
    ['unknown route', { path: '/v1/nothing' }, 404, 'TSGI_ERR_API_NOT_FOUND'],
    ['unknown method', { method: 'PUT', path: '/v1/apps/web' }, 404, 'TSGI_ERR_API_NOT_FOUND'],
    ['unversioned', { path: '/apps' }, 404, 'TSGI_ERR_API_NOT_FOUND'],
    // query strings
    ['unknown query parameter', { method: 'POST', path: '/v1/apps/web/start?force=1' }, 400, V],
    ['bad wait value', { method: 'POST', path: '/v1/apps/web/start?wait=maybe' }, 400, V],
    // bodies
    ['garbage JSON', json('POST', '/v1/apps/web/scale', '{"workers": 2'), 400, V],
    ['not JSON at all', json('POST', '/v1/apps', '\u0000\u0001binary'), 400, V],
    ['empty JSON body', json('POST', '/v1/apps/web/scale', ''), 400, V],
    ['a JSON array', json('POST', '/v1/apps/web/scale', [2]), 400, V],
    ['JSON null', json('POST', '/v1/apps', 'null'), 400, V],
    ['prototype poisoning', json('POST', '/v1/apps/web/scale', '{"workers": 2, "__proto__": {"polluted": true}}'), 400, V],
    ['form content type', { method: 'POST', path: '/v1/apps/web/scale', body: 'workers=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'TSGI_ERR_API_CONTENT_TYPE'],
    ['text content type', { method: 'POST', path: '/v1/apps', body: 'name: x', headers: { 'content-type': 'text/plain' } }, 415, 'TSGI_ERR_API_CONTENT_TYPE'],
    ['body over 2 MB', json('POST', '/v1/apps', JSON.stringify({ name: 'big', app: 'x'.repeat(3 * 1024 * 1024), listen: ':0' })), 413, 'TSGI_ERR_API_BODY_TOO_LARGE'],
    ['body over 2 MB, declared', { method: 'POST', path: '/v1/apps', body: 'x', headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } }, 413, 'TSGI_ERR_API_BODY_TOO_LARGE'],
    // numbers out of range
    ['negative workers', json('POST', '/v1/apps/web/scale', { workers: -3 }), 400, V],
    ['zero workers', json('POST', '/v1/apps/web/scale', { workers: 0 }), 400, V],
    ['over max_workers', json('POST', '/v1/apps/web/scale', { workers: 5 }), 400, V],
    ['huge workers', json('POST', '/v1/apps/web/scale', { workers: 1e300 }), 400, V],
    ['fractional workers', json('POST', '/v1/apps/web/scale', { workers: 1.5 }), 400, V],
    ['relative below 1', json('POST', '/v1/apps/web/scale', { workers: '-2' }), 400, V],
    ['relative over max', json('POST', '/v1/apps/web/scale', { workers: '+3' }), 400, V],
    ['relative, too many digits', json('POST', '/v1/apps/web/scale', { workers: '+99999' }), 400, V],
    ['workers as a string number', json('POST', '/v1/apps/web/scale', { workers: '2' }), 400, V],
    ['scale, extra key', json('POST', '/v1/apps/web/scale', { workers: 2, now: true }), 400, V],
    ['scale, no body', { method: 'POST', path: '/v1/apps/web/scale' }, 400, V],
    // adds that fail the schema
    ['add, no name', json('POST', '/v1/apps', { app: './app.mjs', listen: '127.0.0.1:0' }), 400, V],
    ['add, traversal name', json('POST', '/v1/apps', { name: '../x', app: './app.mjs', listen: '127.0.0.1:0' }), 400, V],
    ['add, NUL in name', json('POST', '/v1/apps', { name: 'a\u0000b', app: './app.mjs', listen: '127.0.0.1:0' }), 400, V],
    ['add, long name', json('POST', '/v1/apps', { name: 'a'.repeat(65), app: './app.mjs', listen: '127.0.0.1:0' }), 400, V],
    ['add, negative workers', json('POST', '/v1/apps', { name: 'x', app: './app.mjs', listen: '127.0.0.1:0', workers: -1 }), 400, V],
    ['add, bad listen', json('POST', '/v1/apps', { name: 'x', app: './app.mjs', listen: 'nowhere' }), 400, V],
    ['add, port out of range', json('POST', '/v1/apps', { name: 'x', app: './app.mjs', listen: '127.0.0.1:70000' }), 400, 'TSGI_ERR_CONFIG_INVALID'],
    ['add, env value a map', json('POST', '/v1/apps', { name: 'x', app: './app.mjs', listen: '127.0.0.1:0', env: { A: { b: 1 } } }), 400, V],
    ['add, bad duration', json('POST', '/v1/apps', { name: 'x', app: './app.mjs', listen: '127.0.0.1:0', graceful_timeout: 'soon' }), 400, V],
  ];

  for (const [what, req, status, code] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      const r = await raw(req);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, code, JSON.stringify(r.body));
      assert.equal(typeof r.body.error?.message, 'string');
      // and the daemon answers normally right after
      const health = await raw({ path: '/v1/health' });
      assert.equal(health.status, 200);
    });
  }

  it('changed nothing: the app runs as before, and no app was added', async () => {
    const r = await raw({ path: '/v1/apps' });
    assert.equal(r.status, 200);
    const apps = r.body.apps as Array<{ name: string; state: string; target: number }>;
    assert.deepEqual(apps.map((a) => [a.name, a.state, a.target]), [['web', 'running', 2]]);
  });
});
