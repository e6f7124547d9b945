// Lifecycle hooks, and every way an app can fail to boot.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../daemon/errors.js';
import { TsgiError } from '../daemon/errors.js';
import { type LoadSpec, loadHostedApp } from '../daemon/worker/load-app.js';

const cwd = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));
const events = (): Array<Record<string, unknown>> => ((globalThis as { tsgiEvents?: Array<Record<string, unknown>> }).tsgiEvents ??= []);

/** Asserts that loading (and starting) `module` fails with `code`, naming the module and `pattern`. */
async function assertBootFails(module: string, code: ErrorCode, pattern: RegExp, iface: LoadSpec['interface'] = 'auto'): Promise<TsgiError> {
  let caught: unknown;
  try {
    const hosted = await loadHostedApp({ cwd, module, interface: iface });
    await hosted.onStart(http.createServer());
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof TsgiError, `expected a TsgiError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(module), `"${caught.message}" names ${module}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('lifecycle', () => {
  test('onStart gets the server; shutdown waits for waitUntil work, then runs onShutdown', async () => {
    events().length = 0;
    const hosted = await loadHostedApp({ cwd, module: './lifecycle.mjs', interface: 'auto' });
    const server = http.createServer(hosted.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await hosted.onStart(server);
    assert.deepEqual(events(), [{ hook: 'onStart', hasServer: true }]);

    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(await res.text(), 'alive');
    server.closeAllConnections();
    server.close();

    await hosted.onShutdown();
    assert.deepEqual(events().slice(1), [{ hook: 'waitUntil' }, { hook: 'onShutdown' }]);
  });

  test('a module mounted twice runs its hooks once', async () => {
    events().length = 0;
    const hosted = await loadHostedApp({ cwd, mounts: { '/a': './lifecycle.mjs', '/b': './lifecycle.mjs' }, interface: 'auto' });
    await hosted.onStart(http.createServer());
    await hosted.onShutdown();
    assert.deepEqual(events().map((e) => e.hook), ['onStart', 'onShutdown']);
  });

  test('shutdown closes a Fastify instance (its onClose hooks run)', async () => {
    const g = globalThis as { tsgiFastifyClosed?: number };
    const before = g.tsgiFastifyClosed ?? 0;
    const hosted = await loadHostedApp({ cwd, module: './fastify-app.mjs', interface: 'auto' });
    await hosted.onStart(http.createServer());
    await hosted.onShutdown();
    assert.equal(g.tsgiFastifyClosed, before + 1);
  });
});

describe('forcing an interface', () => {
  test('settles what arity cannot: a (...args) listener served as node', async () => {
    const auto = await loadHostedApp({ cwd, module: './rest-args.mjs', interface: 'auto' });
    assert.equal(auto.describe[0]?.interface, 'fetch');
    const forced = await loadHostedApp({ cwd, module: './rest-args.mjs', interface: 'node' });
    assert.equal(forced.describe[0]?.interface, 'node');
    const server = http.createServer(forced.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(await res.text(), 'rest args listener');
    server.closeAllConnections();
    server.close();
  });
});

describe('boot failures', () => {
  test('the module throws at import: TSGI_ERR_APP_BOOT with the cause kept', async () => {
    const err = await assertBootFails('./boot/throws-at-import.mjs', 'TSGI_ERR_APP_BOOT', /cannot connect to the database/);
    assert.ok(err.cause instanceof Error);
    assert.match(err.cause.stack ?? '', /throws-at-import\.mjs/);
  });

  test('the factory rejects', async () => {
    await assertBootFails('./boot/factory-rejects.mjs:create()', 'TSGI_ERR_APP_BOOT', /factory create\(\) failed: factory says no/);
  });

  test('the file is missing', async () => {
    await assertBootFails('./boot/nowhere.mjs', 'TSGI_ERR_APP_BOOT', /module not found/);
  });

  test('no default export: no guessing, the exports are listed', async () => {
    await assertBootFails('./boot/no-default.mjs', 'TSGI_ERR_APP_BOOT', /no export 'default'; it exports: handler, version/);
  });

  test('Fastify fails to get ready', async () => {
    await assertBootFails('./boot/fastify-plugin-fails.mjs', 'TSGI_ERR_APP_BOOT', /plugin could not start/);
  });

  test('onStart throws', async () => {
    await assertBootFails('./boot/onstart-fails.mjs', 'TSGI_ERR_APP_BOOT', /onStart failed: warm-up failed/);
  });

  test('the export fits no interface: TSGI_ERR_APP_INTERFACE with what was found', async () => {
    await assertBootFails('./boot/fits-nothing.mjs', 'TSGI_ERR_APP_INTERFACE', /an object with keys: hello, version/);
  });

  test('a class or an http.Server: told what to export instead', async () => {
    await assertBootFails('./boot/exports-class.mjs', 'TSGI_ERR_APP_INTERFACE', /a class \(export an instance/);
    await assertBootFails('./boot/exports-server.mjs', 'TSGI_ERR_APP_INTERFACE', /an http\.Server \(export its request listener/);
  });

  test('a factory that is not a function', async () => {
    await assertBootFails('./boot/fits-nothing.mjs:default()', 'TSGI_ERR_APP_INTERFACE', /not a factory function/);
  });

  test('a forced interface the export does not fit', async () => {
    await assertBootFails('./hono-app.mjs', 'TSGI_ERR_APP_INTERFACE', /interface 'koa' was configured.*looks like a fetch app/, 'koa');
    await assertBootFails('./express-app.mjs', 'TSGI_ERR_APP_INTERFACE', /interface 'fetch' was configured.*a function of arity 3/, 'fetch');
    await assertBootFails('./koa-app.mjs', 'TSGI_ERR_APP_INTERFACE', /interface 'node' was configured.*callback/, 'node');
  });
});
