/**
 * The admin API of a real tsgid is built on its first request (api/lazy-api.ts): concurrent first
 * requests are each answered by their own route, and a malformed first request gets fastify's own
 * 400, as when fastify was there from the start.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { adminAddress, FIXTURES, startDaemon, type Daemon } from './helpers/daemon.js';
import { parseReply, RAW_DEADLINE_MS } from './helpers/raw-http.js';

const APP = `apps:\n  web:\n    app: ${join(FIXTURES, 'daemon/node-app.mjs')}\n    listen: "127.0.0.1:0"\n`;

function raw(socketPath: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let got = '';
    s.setTimeout(RAW_DEADLINE_MS, () => s.destroy(new Error('no answer')));
    s.on('connect', () => s.write(bytes));
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

describe('admin API built on the first request', () => {
  const daemons: Daemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('answers concurrent first requests, each from its own route', { timeout: 60_000 }, async () => {
    const d = await startDaemon(APP, { wait: false });
    daemons.push(d);
    await adminAddress(d);
    const [health, apps, missing, app] = await Promise.all([
      d.api<{ status: string }>('GET', '/v1/health'),
      d.api<{ apps: Array<{ name: string }> }>('GET', '/v1/apps'),
      d.api<{ error: { code: string } }>('GET', '/v1/nowhere'),
      d.api<{ app: { name: string } }>('GET', '/v1/apps/web'),
    ]);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    assert.equal(apps.status, 200);
    assert.deepEqual(apps.body.apps.map((a) => a.name), ['web']);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'TSGI_ERR_API_NOT_FOUND');
    assert.equal(app.status, 200);
    assert.equal(app.body.app.name, 'web');
  });

  it('answers a malformed first request with fastify\'s 400', { timeout: 60_000 }, async () => {
    const d = await startDaemon(APP, { wait: false });
    daemons.push(d);
    await adminAddress(d);
    const r = parseReply(await raw(d.socket, 'NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), { error: 'Bad Request', message: 'Client Error', statusCode: 400 });
    assert.equal((await d.api('GET', '/v1/health')).status, 200, 'and serves the next one');
  });
});
