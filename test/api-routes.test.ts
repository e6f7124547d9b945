/**
 * Every admin API route, through supertest, against buildApi() over a REAL Arbiter with real
 * workers: reads (and what they never show), actions, scale, add → serve → remove, a reload into
 * code that does not boot, config reload from a changed file, and the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { buildApi } from '../api/server.js';
import { publicConfig, REDACTED, type AppView } from '../api/app-view.js';
import { Arbiter } from '../daemon/arbiter/arbiter.js';
import { loadConfig } from '../daemon/config/index.js';
import { silentLogger } from '../daemon/log.js';
import { FIXTURES, get, tempDir } from './helpers/daemon.js';

const TOKEN = 'test-token-123';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SECRET = 'hunter2-do-not-show';

function configYaml(extra = ''): string {
  return `
apps:
  web:
    app: ./app.mjs
    listen: "127.0.0.1:0"
    workers: 2
    env: { SECRET_TOKEN: "${SECRET}", GREETING: "hi" }
  other:
    app: ./app.mjs
    listen: "127.0.0.1:0"
  fragile:
    app: ./fragile.mjs
    listen: "127.0.0.1:0"
${extra}`;
}

describe('admin API routes against a real arbiter', () => {
  const dir = tempDir('tsgi-api-');
  const file = join(dir, 'tsgi.yaml');
  let arbiter: Arbiter;
  let api: FastifyInstance;
  const call = () => request(api.server);
  const app = async (name: string): Promise<AppView> => (await call().get(`/v1/apps/${name}`).set(AUTH).expect(200)).body.app;
  const readyPids = (a: AppView) => a.workers.filter((w) => w.state === 'ready').map((w) => w.pid);

  before(async () => {
    copyFileSync(join(FIXTURES, 'daemon/node-app.mjs'), join(dir, 'app.mjs'));
    copyFileSync(join(FIXTURES, 'daemon/node-app.mjs'), join(dir, 'fragile.mjs'));
    writeFileSync(file, configYaml());
    arbiter = new Arbiter(loadConfig(file), silentLogger);
    await arbiter.start();
    api = buildApi(arbiter, { token: TOKEN, maxWorkers: 4 });
    await api.ready();
    // every app up before the tests look at it: start answers once it is
    for (const name of arbiter.appNames) await arbiter.command({ kind: 'start', app: name });
  });

  after(async () => {
    await api?.close();
    await arbiter?.command({ kind: 'shutdown' });
  });

  it('GET /v1/health needs no token', async () => {
    const r = await call().get('/v1/health').expect(200);
    assert.deepEqual(r.body, { status: 'ok' });
  });

  it('refuses a missing, wrong or mis-schemed token with a bare 401, on every route but health', async () => {
    const refusals = [
      call().get('/v1/apps'),
      call().get('/v1/apps').set({ authorization: 'Bearer wrong' }),
      call().get('/v1/apps').set({ authorization: `Basic ${TOKEN}` }),
      call().get('/v1/apps').set({ authorization: `Bearer ${TOKEN}x` }),
      call().post('/v1/apps/web/stop'),
      call().get('/v1/no-such-route'),
      call().get('/v1/openapi.json'),
    ];
    for (const r of await Promise.all(refusals)) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: { code: 'TSGI_ERR_API_UNAUTHORIZED', message: 'unauthorized' } });
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
    assert.equal((await call().get('/v1/apps').set(AUTH)).status, 200);
    assert.equal((await call().get('/v1/apps').set({ authorization: `bearer ${TOKEN}` })).status, 200, 'the scheme is case-insensitive');
    assert.equal((await arbiter.appStatus('web')).state, 'running', 'the refused stop did nothing');
  });

  it('GET /v1/apps shows the daemon and every app with its config, env keys only', async () => {
    const r = await call().get('/v1/apps').set(AUTH).expect(200);
    assert.equal(r.body.pid, process.pid);
    assert.equal(r.body.config_file, file);
    assert.deepEqual(r.body.apps.map((a: AppView) => a.name), ['web', 'other', 'fragile']);
    const web = r.body.apps[0] as AppView;
    assert.deepEqual(web.config.env_keys, ['GREETING', 'SECRET_TOKEN']);
    assert.equal(web.config.env, undefined);
    assert.ok(!r.text.includes(SECRET), 'no env value in the listing');
    assert.ok(!r.text.includes(TOKEN), 'no token in the listing');
  });

  it('GET /v1/apps/:name returns status and the config in force, never env values', async () => {
    const r = await call().get('/v1/apps/web').set(AUTH).expect(200);
    const web = r.body.app as AppView;
    assert.equal(web.state, 'running');
    assert.equal(web.ready, 2);
    assert.equal(web.config.workers, 2);
    assert.equal(web.config.app, './app.mjs');
    assert.deepEqual(web.config.listen, ['127.0.0.1:0']);
    assert.deepEqual(web.config.env_keys, ['GREETING', 'SECRET_TOKEN']);
    assert.ok(!r.text.includes(SECRET));
    const missing = await call().get('/v1/apps/nope').set(AUTH).expect(404);
    assert.deepEqual(missing.body, { error: { code: 'TSGI_ERR_APP_NOT_FOUND', message: 'no app named "nope"' } });
  });

  it('hides values under credential-like keys at any depth, whatever settings are added later', () => {
    const config = { ...arbiter.appConfig('web'), db_password: 'x', restart: { ...arbiter.appConfig('web').restart, api_key: 'y' } };
    const shown = publicConfig(config);
    assert.equal(shown.db_password, REDACTED);
    assert.equal((shown.restart as Record<string, unknown>).api_key, REDACTED);
    assert.equal((shown.restart as Record<string, unknown>).max_failures, 5);
    assert.equal(shown.env, undefined);
  });

  it('stop drains every worker and start brings them back, each answering when done', async () => {
    const stopped = await call().post('/v1/apps/other/stop').set(AUTH).expect(200);
    assert.equal(stopped.body.app.state, 'stopped');
    assert.deepEqual(stopped.body.app.workers, []);
    const started = await call().post('/v1/apps/other/start').set(AUTH).expect(200);
    assert.equal(started.body.app.state, 'running');
    assert.equal(started.body.app.ready, 1);
  });

  it('restart and reload replace every worker; reload keeps serving', async () => {
    const before = readyPids(await app('web'));
    const restarted = (await call().post('/v1/apps/web/restart').set(AUTH).expect(200)).body.app as AppView;
    const afterRestart = readyPids(restarted);
    assert.equal(afterRestart.length, 2);
    assert.ok(afterRestart.every((p) => !before.includes(p)), 'new pids after restart');
    const reloaded = (await call().post('/v1/apps/web/reload').set(AUTH).expect(200)).body.app as AppView;
    assert.equal(reloaded.state, 'running');
    assert.equal(reloaded.generation, restarted.generation + 1);
    assert.ok(readyPids(reloaded).every((p) => !afterRestart.includes(p)), 'new pids after reload');
    assert.equal((await get(`http://${reloaded.listen[0]}/`)).status, 200);
  });

  it('?wait=false answers 202 at once; the action still happens', async () => {
    const r = await call().post('/v1/apps/other/restart?wait=false').set(AUTH).expect(202);
    assert.deepEqual(r.body, { accepted: true });
    // the next command is applied after the restart; when it answers, the app has settled
    const settled = (await call().post('/v1/apps/other/start').set(AUTH).expect(200)).body.app as AppView;
    assert.equal(settled.state, 'running');
    assert.ok(settled.generation > 1);
  });

  it('scale takes N, +N and -N, within 1..max_workers', async () => {
    assert.equal((await call().post('/v1/apps/other/scale').set(AUTH).send({ workers: 3 }).expect(200)).body.app.ready, 3);
    assert.equal((await call().post('/v1/apps/other/scale').set(AUTH).send({ workers: '-2' }).expect(200)).body.app.ready, 1);
    assert.equal((await call().post('/v1/apps/other/scale').set(AUTH).send({ workers: '+1' }).expect(200)).body.app.target, 2);
    for (const workers of [0, -1, 5, '-2', '+3', 1.5, '2', null]) {
      const r = await call().post('/v1/apps/other/scale').set(AUTH).send({ workers });
      assert.equal(r.status, 400, `workers: ${JSON.stringify(workers)}`);
      assert.equal(r.body.error.code, 'TSGI_ERR_API_VALIDATION');
    }
    assert.equal((await app('other')).target, 2, 'refused scales changed nothing');
    await call().post('/v1/apps/other/scale').set(AUTH).send({ workers: 1 }).expect(200);
  });

  it('adds an app that then serves HTTP, and removes it, closing its port', async () => {
    const added = await call().post('/v1/apps').set(AUTH).send({ name: 'added', app: './app.mjs', listen: '127.0.0.1:0', workers: 2, env: { GREETING: 'added-app' } }).expect(201);
    const a = added.body.app as AppView;
    assert.equal(a.name, 'added');
    assert.equal(a.state, 'running');
    assert.equal(a.ready, 2);
    assert.deepEqual(a.config.env_keys, ['GREETING']);
    const url = `http://${a.listen[0]}/`;
    const served = await get(url);
    assert.equal(served.status, 200);
    assert.match(served.body, /added-app$/);
    assert.ok((await call().get('/v1/apps').set(AUTH)).body.apps.some((x: AppView) => x.name === 'added'));

    const removed = await call().delete('/v1/apps/added').set(AUTH).expect(200);
    assert.deepEqual(removed.body, { removed: 'added' });
    await assert.rejects(get(url), /ECONNREFUSED/);
    await call().get('/v1/apps/added').set(AUTH).expect(404);
    await call().delete('/v1/apps/added').set(AUTH).expect(404);
  });

  it('an added app whose code does not boot answers 422 TSGI_ERR_APP_BOOT, and stays, failed, until removed', async () => {
    const r = await call().post('/v1/apps').set(AUTH).send({ name: 'broken', app: join(FIXTURES, 'daemon/import-throws.mjs'), listen: '127.0.0.1:0' }).expect(422);
    assert.equal(r.body.error.code, 'TSGI_ERR_APP_BOOT');
    assert.match(r.body.error.message, /database URL missing.*the app was added, marked failed/);
    assert.equal((await app('broken')).state, 'failed');
    await call().delete('/v1/apps/broken').set(AUTH).expect(200);
  });

  it('refuses an add whose name exists, whose address is taken, or that does not validate', async () => {
    const web = await app('web');
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'web', app: './app.mjs', listen: '127.0.0.1:0' }, 409, 'TSGI_ERR_APP_EXISTS'],
      // web's configured port is 0; the port it got is what is taken
      [{ name: 'clash', app: './app.mjs', listen: web.listen[0] }, 409, 'TSGI_ERR_LISTEN_IN_USE'],
      [{ name: 'clash', app: './app.mjs', listen: [`0.0.0.0:${web.listen[0]!.split(':')[1]}`] }, 409, 'TSGI_ERR_LISTEN_IN_USE'],
      [{ name: 'missing', app: './no-such-module.mjs', listen: '127.0.0.1:0' }, 400, 'TSGI_ERR_CONFIG_APP_MISSING'],
      [{ name: 'many', app: './app.mjs', listen: '127.0.0.1:0', workers: 5 }, 400, 'TSGI_ERR_API_VALIDATION'],
      [{ name: 'typo', app: './app.mjs', listen: '127.0.0.1:0', wokers: 2 }, 400, 'TSGI_ERR_API_VALIDATION'],
      [{ name: 'both', app: './app.mjs', mounts: { '/': './app.mjs' }, listen: '127.0.0.1:0' }, 400, 'TSGI_ERR_API_VALIDATION'],
      [{ name: 'nocwd', app: './app.mjs', listen: '127.0.0.1:0', cwd: './no-such-dir' }, 400, 'TSGI_ERR_CONFIG_INVALID'],
      [{ name: 'Upper', app: './app.mjs', listen: '127.0.0.1:0' }, 400, 'TSGI_ERR_API_VALIDATION'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call().post('/v1/apps').set(AUTH).send(body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, code, r.text);
    }
    assert.deepEqual(arbiter.appNames, ['web', 'other', 'fragile'], 'nothing was added');
  });

  it('a reload into code that does not boot answers 422 TSGI_ERR_APP_BOOT with the error; old workers keep serving', async () => {
    const before = await app('fragile');
    writeFileSync(join(dir, 'fragile.mjs'), "throw new Error('fragile: cannot connect to the database');\n");
    const r = await call().post('/v1/apps/fragile/reload').set(AUTH).expect(422);
    assert.equal(r.body.error.code, 'TSGI_ERR_APP_BOOT');
    assert.match(r.body.error.message, /cannot connect to the database/);
    const after = await app('fragile');
    assert.deepEqual(readyPids(after), readyPids(before));
    assert.equal((await get(`http://${after.listen[0]}/`)).status, 200);
    copyFileSync(join(FIXTURES, 'daemon/node-app.mjs'), join(dir, 'fragile.mjs'));
  });

  it('POST /v1/config/reload applies a changed file, and a bad file changes nothing (400)', async () => {
    writeFileSync(file, configYaml(`  fromfile:\n    app: ./app.mjs\n    listen: "127.0.0.1:0"\n`).replace('workers: 2', 'workers: 1'));
    const r = await call().post('/v1/config/reload').set(AUTH).expect(200);
    assert.deepEqual(r.body, { added: ['fromfile'], removed: [], changed: ['web'], started: [], stopped: [], unchanged: ['other', 'fragile'], errors: [] });
    assert.equal((await app('fromfile')).state, 'running');
    assert.equal((await app('web')).ready, 1);

    writeFileSync(file, 'apps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:0"\n    workers: many\n');
    const bad = await call().post('/v1/config/reload').set(AUTH).expect(400);
    assert.equal(bad.body.error.code, 'TSGI_ERR_CONFIG_INVALID');
    assert.match(bad.body.error.message, /apps\.web\.workers/);
    writeFileSync(file, 'apps: [unclosed\n');
    assert.equal((await call().post('/v1/config/reload').set(AUTH).expect(400)).body.error.code, 'TSGI_ERR_CONFIG_YAML');
    assert.deepEqual(arbiter.appNames, ['web', 'other', 'fragile', 'fromfile'], 'a bad file changes nothing');
  });

  it('GET /v1/openapi.json documents every registered route, generated from their schemas', async () => {
    const doc = (await call().get('/v1/openapi.json').set(AUTH).expect(200)).body;
    assert.equal(doc.openapi, '3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, { parameters: Array<{ name: string; in: string }>; responses: object; requestBody?: { content: Record<string, { schema: unknown }> }; security?: unknown[] }>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })));
    const expected = [
      'GET /v1/health', 'GET /v1/ready', 'GET /v1/openapi.json', 'GET /v1/apps', 'GET /v1/apps/{name}', 'POST /v1/apps', 'DELETE /v1/apps/{name}',
      ...['start', 'stop', 'restart', 'reload', 'scale', 'run'].map((a) => `POST /v1/apps/{name}/${a}`), 'POST /v1/config/reload', 'POST /v1/upgrade', 'GET /v1/config/diff', 'GET /metrics', 'GET /v1/apps/{name}/logs',
      'GET /v1/events', 'GET /v1/apps/{name}/history', 'POST /v1/apps/{name}/workers/{id}/stop',
    ];
    assert.deepEqual(ops.map((o) => o.key).sort(), expected.sort());
    for (const { key, path, method, op } of ops) {
      // each documented operation is a route fastify serves
      assert.ok(api.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), key);
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        assert.ok(op.parameters.some((p) => p.name === name && p.in === 'path'), `${key} documents {${name}}`);
      }
      assert.ok(Object.keys(op.responses).length >= 2, key);
    }
    const scale = ops.find((o) => o.key === 'POST /v1/apps/{name}/scale')!.op;
    assert.ok(JSON.stringify(scale.requestBody).includes('"maximum":4'), 'the body schema is the one fastify validates');
    const add = ops.find((o) => o.key === 'POST /v1/apps')!.op;
    assert.ok(add.requestBody!.content['application/json']!.schema, 'add documents its body');
    assert.ok('201' in add.responses);
    assert.ok('202' in add.responses, '?wait=false is documented');
    assert.deepEqual(ops.find((o) => o.key === 'GET /v1/health')!.op.security, [], 'health is open');
    assert.deepEqual(ops.find((o) => o.key === 'GET /v1/ready')!.op.security, [], 'ready is open');
  });
});
