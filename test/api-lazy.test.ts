/**
 * The admin API of a real tsgid is built on its first request (api/lazy-api.ts): concurrent first
 * requests are each answered by their own route, requests pipelined on one connection while it is
 * built (and while its schemas are compiled after it, one per loop turn: lazy-schemas.ts) are
 * answered in order and as the built API answers them, and a malformed first request gets
 * fastify's own 400, as when fastify was there from the start.
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

/** Splits pipelined responses, each with a content-length (what fastify sends for JSON). */
function replies(text: string): Array<{ status: number; body: string }> {
  const out: Array<{ status: number; body: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `a complete response head, got ${JSON.stringify(rest.slice(0, 200))}`);
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    assert.ok(Number.isInteger(length), `a content-length in ${JSON.stringify(head)}`);
    out.push({ status: Number(head.split(' ')[1]), body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

function pipelined(requests: ReadonlyArray<{ method: string; path: string; body?: string }>): string {
  return requests
    .map(({ method, path, body }, i) => {
      const last = i === requests.length - 1;
      const head = `${method} ${path} HTTP/1.1\r\nhost: localhost\r\n${body === undefined ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`}${last ? 'connection: close\r\n' : ''}\r\n`;
      return head + (body ?? '');
    })
    .join('');
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

  it('answers requests pipelined during the build in order, as the built API does', { timeout: 60_000 }, async () => {
    const d = await startDaemon(APP, { wait: false });
    daemons.push(d);
    await adminAddress(d);
    const requests = [
      { method: 'GET', path: '/v1/health' },
      // validated by the largest schema, and by a small one: compiled on demand if not yet in turn
      { method: 'POST', path: '/v1/apps', body: JSON.stringify({ name: 'other', app: 'x.mjs', workers: 'many' }) },
      { method: 'POST', path: '/v1/apps/web/scale', body: JSON.stringify({ workers: 'lots' }) },
      { method: 'GET', path: '/v1/nowhere' },
      { method: 'GET', path: '/v1/apps/web' },
    ];
    const during = replies(await raw(d.socket, pipelined(requests)));
    assert.deepEqual(during.map((r) => r.status), [200, 400, 400, 404, 200]);
    assert.deepEqual(JSON.parse(during[0]!.body), { status: 'ok' });
    assert.equal(JSON.parse(during[1]!.body).error.code, 'TSGI_ERR_API_VALIDATION');
    assert.match(JSON.parse(during[1]!.body).error.message, /workers/);
    assert.equal(JSON.parse(during[2]!.body).error.code, 'TSGI_ERR_API_VALIDATION');
    assert.equal(JSON.parse(during[3]!.body).error.code, 'TSGI_ERR_API_NOT_FOUND');
    assert.equal(JSON.parse(during[4]!.body).app.name, 'web');
    // the same requests again, to the API built (its schemas compiled by now, or on demand): the same answers
    await d.api('GET', '/v1/openapi.json');
    const after = replies(await raw(d.socket, pipelined(requests)));
    assert.deepEqual(after.slice(0, 4), during.slice(0, 4));
    assert.equal(after[4]!.status, 200);
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
