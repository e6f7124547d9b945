// Several apps in one worker by URL prefix, with WSGI's SCRIPT_NAME split.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TsgiError } from '../daemon/errors.js';
import { type Mount, matchMount, mountListener, normalizePrefix } from '../daemon/worker/adapters/mounts.js';
import { type HostedApp, loadHostedApp } from '../daemon/worker/load-app.js';

const cwd = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));
const servers: http.Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function serveMounts(mounts: Record<string, string>): Promise<{ base: string; hosted: HostedApp }> {
  const hosted = await loadHostedApp({ cwd, mounts, interface: 'auto' });
  const server = http.createServer(hosted.handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hosted };
}

describe('mounts without a root', async () => {
  const { base, hosted } = await serveMounts({
    '/api': './express-app.mjs',
    '/api/v2': './node-listener.mjs',
    '/edge': './fetch-features.mjs',
  });
  const json = async (path: string): Promise<unknown> => (await fetch(base + path)).json();

  test('describe has one entry per module, each detected on its own', () => {
    assert.deepEqual(hosted.describe, [
      { prefix: '/api', module: './express-app.mjs', interface: 'node' },
      { prefix: '/api/v2', module: './node-listener.mjs', interface: 'node' },
      { prefix: '/edge', module: './fetch-features.mjs', interface: 'fetch' },
    ]);
  });

  test('a node app sees the stripped path, originalUrl and scriptName', async () => {
    assert.deepEqual(await json('/api/where?x=1'), { url: '/where?x=1', originalUrl: '/api/where?x=1', scriptName: '/api' });
  });

  test('the prefix alone, or with a query, is the app root', async () => {
    assert.equal(await (await fetch(`${base}/api`)).text(), 'Hello World!');
    assert.equal(await (await fetch(`${base}/api?q=1`)).text(), 'Hello World!');
    assert.deepEqual(await json('/api/v2?q=1'), { app: 'node-mjs', url: '/?q=1', originalUrl: '/api/v2?q=1', scriptName: '/api/v2' });
  });

  test('the longest prefix wins', async () => {
    assert.deepEqual(await json('/api/v2/users'), { app: 'node-mjs', url: '/users', originalUrl: '/api/v2/users', scriptName: '/api/v2' });
  });

  test('a prefix matches only at a segment boundary', async () => {
    // '/api/v2x' is not under '/api/v2' (whose app answers JSON) but '/v2x' under '/api': Express's 404 page.
    const res = await fetch(`${base}/api/v2x`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /<pre>Cannot GET \/api\/v2x<\/pre>/);
    const none = await fetch(`${base}/apix`);
    assert.equal(none.status, 404);
    assert.equal(await none.text(), 'Not Found\n');
  });

  test('a fetch app sees the stripped URL and the prefix in x-tsgi-script-name', async () => {
    assert.deepEqual(await json('/edge/where?y=2'), { url: `${base}/where?y=2`, scriptName: '/edge' });
  });

  test('no mount matches: 404', async () => {
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
  });
});

describe('mounts with a root', async () => {
  const { base } = await serveMounts({ '/': './hono-app.mjs', '/api/': './node-listener.mjs' });

  test('the root mount takes what no other prefix does', async () => {
    assert.equal(await (await fetch(`${base}/`)).text(), 'Hello Hono!');
    assert.deepEqual(await (await fetch(`${base}/users/5`)).json(), { id: '5', q: null });
    assert.equal(((await (await fetch(`${base}/api/x`)).json()) as { url: string }).url, '/x');
  });
});

describe('prefix rules', () => {
  const listener = (): void => {};
  const mounts: Mount[] = ['/a/b', '/a', ''].map((prefix) => ({ prefix, listener }));

  test('normalizePrefix', () => {
    assert.equal(normalizePrefix('/'), '');
    assert.equal(normalizePrefix('/api/'), '/api');
    assert.equal(normalizePrefix('api'), '/api');
    assert.equal(normalizePrefix('/a/b'), '/a/b');
  });

  test('matchMount', () => {
    const at = (url: string): [string, string] | undefined => {
      const match = matchMount(mounts, url);
      return match && [match.mount.prefix, match.url];
    };
    assert.deepEqual(at('/a'), ['/a', '/']);
    assert.deepEqual(at('/a/'), ['/a', '/']);
    assert.deepEqual(at('/a?x'), ['/a', '/?x']);
    assert.deepEqual(at('/a/b/c?d'), ['/a/b', '/c?d']);
    assert.deepEqual(at('/ab'), ['', '/ab']);
    assert.equal(matchMount(mounts.slice(0, 2), '/ab'), undefined);
  });

  test('two prefixes that normalise alike are a configuration error', () => {
    assert.throws(
      () => mountListener([{ prefix: '/api', listener }, { prefix: '/api/', listener }]),
      (err: unknown) => err instanceof TsgiError && err.code === 'TSGI_ERR_CONFIG_INVALID',
    );
  });
});
