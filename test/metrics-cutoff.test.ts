/**
 * A response cut off with its connection (the client hangs up mid-body) is counted once, as
 * code="aborted", and leaves the worker's in-flight gauge at 0, over plain HTTP and over TLS, where
 * the HTTP parser reads the TLS socket rather than the raw one the arbiter handed over. Finished
 * responses are reported when Node detaches them from their connection, cut-off ones when the
 * connection closes (daemon/worker/tsgi-response.ts); this checks that neither is missed nor
 * counted twice, also for an Express app, which replaces every response's prototype with its own.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { scrapeUntil, value, type Sample } from './helpers/metrics.js';
import { selfSignedCert } from './helpers/tls.js';

const count = (s: Sample[], app: string, code: string) => value(s, 'tsgi_http_requests_total', { app, code }) ?? 0;
const inflight = (s: Sample[], app: string) => s.filter((x) => x.name === 'tsgi_http_requests_in_flight' && x.labels.app === app).reduce((n, x) => n + x.value, 0);

/** GET /hold and hang up once the first chunk of the body has arrived. */
function cutOff(get: typeof http.get, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}/hold`, { rejectUnauthorized: false, agent: false } as http.RequestOptions, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
  });
}

function fetchOk(get: typeof http.get, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/`, { rejectUnauthorized: false, agent: false } as http.RequestOptions, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('responses cut off by the client', () => {
  let d: Daemon;
  let plain: string;
  let tls: string;
  let express: string;

  before(async () => {
    const dir = tempDir();
    selfSignedCert(dir);
    d = await startDaemon(
      `apps:
  plain:
    app: ./hold-app.mjs
    listen: "127.0.0.1:0"
    workers: 1
  secure:
    app: ./hold-app.mjs
    listen: "127.0.0.1:0"
    workers: 1
    certfile: tls.crt
    keyfile: tls.key
  express:
    app: ${join(FIXTURES, 'metrics')}/hold-express.mjs
    listen: "127.0.0.1:0"
    workers: 1
`,
      { dir, fixtures: ['metrics/hold-app.mjs'] },
    );
    plain = await d.url('plain');
    express = await d.url('express');
    tls = (await d.url('secure')).replace('http:', 'https:');
  });

  after(async () => {
    await d?.stop();
  });

  for (const [app, proto] of [['plain', 'HTTP'], ['secure', 'TLS'], ['express', 'HTTP, from Express']] as const) {
    it(`over ${proto}: counted once as aborted, beside the finished ones, and in flight no more`, async () => {
      const get = (app === 'secure' ? https.get : http.get) as typeof http.get;
      const url = { plain, secure: tls, express }[app];
      for (let i = 0; i < 3; i++) assert.equal(await fetchOk(get, url), 'ok');
      for (let i = 0; i < 2; i++) await cutOff(get, url);
      assert.equal(await fetchOk(get, url), 'ok');
      const s = await scrapeUntil(d.socket, `${app}: 4 answered and 2 cut off`, (x) => count(x, app, '2xx') === 4 && count(x, app, 'aborted') === 2 && inflight(x, app) === 0);
      // exact: a cut-off response reported twice (at the close and again) would show here
      assert.equal(count(s, app, '2xx'), 4);
      assert.equal(count(s, app, 'aborted'), 2);
      assert.equal(inflight(s, app), 0);
    });
  }
});
