// Each interface, written the way its own docs write it, loaded and served for real.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type HostedApp, type LoadSpec, loadHostedApp } from '../daemon/worker/load-app.js';

const cwd = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));
const servers: http.Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** Loads `module` from the fixtures and serves it on an ephemeral port. */
async function serve(module: string, iface: LoadSpec['interface'] = 'auto'): Promise<{ base: string; hosted: HostedApp }> {
  const hosted = await loadHostedApp({ cwd, module, interface: iface });
  const server = http.createServer(hosted.handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await hosted.onStart(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hosted };
}

describe('node listeners', () => {
  test('an Express app', async () => {
    const { base, hosted } = await serve('./express-app.mjs');
    assert.deepEqual(hosted.describe, [{ prefix: '/', module: './express-app.mjs', interface: 'node' }]);
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello World!');
    const posted = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await posted.json(), { received: { a: 1 } });
    assert.equal((await fetch(`${base}/missing`)).status, 404);
  });

  test('a CommonJS listener (module.exports = handler)', async () => {
    const { base, hosted } = await serve('./node-listener.cjs');
    assert.equal(hosted.describe[0]?.interface, 'node');
    assert.equal(await (await fetch(`${base}/x?y=1`)).text(), 'cjs listener saw GET /x?y=1');
  });

  test('an ES module listener, found without its extension', async () => {
    const { base, hosted } = await serve('node-listener');
    assert.equal(hosted.describe[0]?.interface, 'node');
    assert.equal(((await (await fetch(`${base}/p`)).json()) as { app: string }).app, 'node-mjs');
  });

  test('a named export (:handler)', async () => {
    const { base } = await serve('./factories.mjs:handler');
    assert.equal(await (await fetch(base)).text(), 'named export handler');
  });
});

describe('Koa and Fastify', () => {
  test('a Koa app', async () => {
    const { base, hosted } = await serve('./koa-app.mjs');
    assert.equal(hosted.describe[0]?.interface, 'koa');
    assert.equal(await (await fetch(`${base}/k`)).text(), 'Hello World from Koa at /k');
  });

  test('a Fastify instance: JSON reply and a POST body', async () => {
    const { base, hosted } = await serve('./fastify-app.mjs');
    assert.equal(hosted.describe[0]?.interface, 'fastify');
    assert.deepEqual(await (await fetch(`${base}/`)).json(), { hello: 'world' });
    const res = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":42}' });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { received: { n: 42 } });
  });
});

describe('fetch handlers', () => {
  test('a Hono app', async () => {
    const { base, hosted } = await serve('./hono-app.mjs');
    assert.equal(hosted.describe[0]?.interface, 'fetch');
    assert.equal(await (await fetch(`${base}/`)).text(), 'Hello Hono!');
    assert.deepEqual(await (await fetch(`${base}/users/7?q=x`)).json(), { id: '7', q: 'x' });
    assert.deepEqual(await (await fetch(`${base}/env`)).json(), { hasIncoming: true });
  });

  test('a plain fetch function', async () => {
    const { base, hosted } = await serve('./fetch-function.mjs');
    assert.equal(hosted.describe[0]?.interface, 'fetch');
    assert.equal(await (await fetch(`${base}/a/b`, { method: 'DELETE' })).text(), 'fetch function saw DELETE /a/b');
  });

  test('an object with fetch, called with its object as this', async () => {
    const { base } = await serve('./fetch-object.mjs');
    assert.equal(await (await fetch(`${base}/o`)).text(), 'fetch object saw /o');
  });

  test('a directory, through its index file', async () => {
    const { base } = await serve('./index-app');
    assert.equal(await (await fetch(base)).text(), 'index app');
  });
});

describe('factories', () => {
  test(':create() is called once per load, not per request', async () => {
    const g = globalThis as { tsgiFactoryCalls?: number };
    const before = g.tsgiFactoryCalls ?? 0;
    const { base, hosted } = await serve('./factories.mjs:create()');
    assert.equal(hosted.describe[0]?.module, './factories.mjs:create()');
    assert.equal(await (await fetch(base)).text(), 'made by create()');
    assert.equal(await (await fetch(base)).text(), 'made by create()');
    assert.equal(g.tsgiFactoryCalls, before + 1);
  });

  test('Fastify build() factories, sync and async (the instance is thenable, and is the app)', async () => {
    const sync = await serve('./fastify-factory.mjs:build()');
    assert.equal(sync.hosted.describe[0]?.interface, 'fastify');
    assert.deepEqual(await (await fetch(sync.base)).json(), { built: 'sync' });
    const async = await serve('./fastify-factory.mjs:buildAsync()');
    assert.deepEqual(await (await fetch(async.base)).json(), { built: 'async' });
    assert.deepEqual(await (await fetch(`${async.base}/plugin`)).json(), { plugin: true });
  });

  test('an async factory', async () => {
    const { base, hosted } = await serve('./factories.mjs:createAsync()');
    assert.equal(hosted.describe[0]?.interface, 'fetch');
    assert.equal(await (await fetch(base)).text(), 'made by createAsync()');
  });
});

describe('TypeScript entries', () => {
  test('a .ts entry importing .ts modules as "./x.js" and as "./x"', async () => {
    const { base, hosted } = await serve('./ts-app/main.ts');
    assert.equal(hosted.describe[0]?.interface, 'fetch');
    assert.deepEqual(await (await fetch(`${base}/?name=ts`)).json(), { greeting: 'hello ts', loud: 'TS TS' });
  });

  test('a .cts entry requiring a .ts module', async () => {
    const { base, hosted } = await serve('./ts-app/legacy.cts');
    assert.equal(hosted.describe[0]?.interface, 'node');
    assert.equal(await (await fetch(base)).text(), 'hello cts via require');
  });

  test('ES-syntax .ts in a CommonJS package: default and onStart found through __esModule', async () => {
    const { base, hosted } = await serve('./cjs-ts-pkg/app');
    assert.equal(hosted.describe[0]?.interface, 'node');
    assert.equal(await (await fetch(`${base}/c`)).text(), 'cjs-package ts saw /c');
    assert.equal((globalThis as { tsgiCjsTsStarted?: boolean }).tsgiCjsTsStarted, true);
  });
});
