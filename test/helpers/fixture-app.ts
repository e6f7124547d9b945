/**
 * A fixture app (test/fixtures/apps) loaded the way a worker loads it and served by a plain
 * node:http server in the test's own process, on an ephemeral port, for the whole test file: the
 * adapters seen on the wire without a daemon. Hooks are registered by the call (before: load and
 * listen; after: close, even when before failed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { loadHostedApp } from '../../daemon/worker/load-app.js';
import { FIXTURES } from './daemon.js';

export interface FixtureApp {
  server: http.Server;
  base: string;
  port: number;
}

export function serveFixtureApp(module: string): FixtureApp {
  const app = { base: '', port: 0 } as FixtureApp;
  before(async () => {
    const hosted = await loadHostedApp({ cwd: join(FIXTURES, 'apps'), module, interface: 'auto' });
    app.server = http.createServer(hosted.handler);
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    app.port = (app.server.address() as AddressInfo).port;
    app.base = `http://127.0.0.1:${app.port}`;
  });
  after(() => {
    app.server?.closeAllConnections();
    app.server?.close();
  });
  return app;
}
