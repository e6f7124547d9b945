// The light Request and Response of the fetch adapter (light-request.ts, light-response.ts): what
// an app can do with them behaves as undici's would, on the wire and in the app.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { urlOf } from '../daemon/worker/adapters/fetch-request.js';
import type { MountedRequest } from '../daemon/worker/adapters/contract.js';
import { serveFixtureApp } from './helpers/fixture-app.js';

const app = serveFixtureApp('./fetch-light.mjs');

interface Raw {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function raw(method: string, path: string, body?: string, headers: http.OutgoingHttpHeaders = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port: app.port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, statusText: res.statusMessage!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject)
      .end(body);
  });
}

test('the request is a Request to the app; new Request(request) and the static constructors work', { timeout: 30_000 }, async () => {
  const res = await fetch(`${app.base}/identity?q=1`);
  assert.deepEqual(await res.json(), {
    requestIsRequest: true,
    constructorIsRequest: true,
    rebuiltUrl: `${app.base}/identity?q=1`,
    rebuiltHeader: '1',
    rebuiltIsRequest: true,
    madeIsResponse: true,
    jsonIsResponse: true,
    errorIsResponse: true,
    bodyUsed: false,
  });
});

test('fetch(request) sends the request itself on', { timeout: 30_000 }, async () => {
  const res = await raw('GET', '/fetch-itself', undefined, { 'x-hop': 'kept' });
  assert.equal(res.body.toString(), 'outer inner kept');
});

test('the body read after url, method and headers; as JSON; a clone and the original both read it', { timeout: 30_000 }, async () => {
  const echo = await raw('POST', '/echo', 'a body ✓', { 'content-type': 'text/plain' });
  assert.equal(echo.body.toString(), 'POST /echo text/plain a body ✓ used=true');
  const json = await raw('PUT', '/json', '{"n":[1,2]}', { 'content-type': 'application/json' });
  assert.deepEqual(JSON.parse(json.body.toString()), { got: { n: [1, 2] } });
  const clone = await raw('POST', '/clone', 'twice');
  assert.equal(clone.body.toString(), 'twice|twice');
});

test("a Response subclass: instanceof holds, its constructor's header changes are sent", { timeout: 30_000 }, async () => {
  const checked = await raw('GET', '/subclass');
  assert.equal(checked.body.toString(), 'true true 201');
  assert.equal(checked.headers['x-subclass'], 'true');
  const sent = await raw('GET', '/subclass-sent');
  assert.equal(sent.status, 201);
  assert.equal(sent.headers['x-tagged'], 'yes');
  assert.equal(sent.body.toString(), 'tagged body');
  assert.equal(sent.headers['content-length'], '11');
});

test('headers changed after the Response was made are sent; an init Headers changed after is not', { timeout: 30_000 }, async () => {
  const res = await raw('GET', '/headers-after');
  assert.equal(res.headers['content-type'], 'text/x-mine');
  assert.equal(res.headers['x-b'], '2');
  assert.equal(res.headers['x-a'], undefined);
  assert.deepEqual(res.headers['set-cookie'], ['c=3']);
  assert.equal(res.headers['content-length'], '5');
  const copied = await raw('GET', '/init-headers-copied');
  assert.equal(copied.headers['x-before'], '1');
  assert.equal(copied.headers['x-after'], undefined);
});

test('a stream body goes out chunked, a Response built from another keeps its status and headers', { timeout: 30_000 }, async () => {
  const stream = await raw('GET', '/stream');
  assert.equal(stream.headers['transfer-encoding'], 'chunked');
  assert.equal(stream.body.toString(), 'one;two;');
  const derived = await raw('GET', '/from-response');
  assert.equal(derived.status, 202);
  assert.equal(derived.statusText, 'Taken');
  assert.equal(derived.headers['x-inner'], '1');
  assert.equal(derived.body.toString(), 'inner body');
  const wrapped = await raw('GET', '/redirect-wrapped');
  assert.equal(wrapped.status, 307);
  assert.equal(wrapped.headers.location, `${app.base}/there`);
  assert.equal(wrapped.headers['content-length'], '0');
  assert.equal(wrapped.headers['transfer-encoding'], undefined);
});

test('a Response whose body the app read itself (clone().text()) is still sent whole', { timeout: 30_000 }, async () => {
  const res = await raw('GET', '/read-own');
  assert.equal(res.body.toString(), 'read me too');
  assert.equal(res.headers['x-copy'], 'read me too');
  assert.equal(res.headers['x-read'], '1');
});

test('Content-Length counts bytes, not characters; types as undici gives them', { timeout: 30_000 }, async () => {
  const text = 'héllo wörld ✓ 𝄞';
  const unicode = await raw('GET', '/unicode');
  assert.equal(unicode.headers['content-length'], String(Buffer.byteLength(text)));
  assert.notEqual(Buffer.byteLength(text), text.length);
  assert.equal(unicode.headers['content-type'], 'text/plain;charset=UTF-8');
  assert.equal(unicode.body.toString(), text);
  const bytes = await raw('GET', '/bytes');
  assert.equal(bytes.headers['content-length'], String(Buffer.byteLength('bytes ✓')));
  assert.equal(bytes.headers['content-type'], undefined);
  assert.equal(bytes.body.toString(), 'bytes ✓');
  const ab = await raw('GET', '/arraybuffer');
  assert.equal(ab.headers['content-type'], 'application/octet-stream');
  assert.equal(ab.body.toString(), 'ab ✓');
  const none = await raw('GET', '/null');
  assert.equal(none.status, 201);
  assert.equal(none.headers['x-null'], '1');
  assert.equal(none.headers['content-length'], '0');
  assert.equal(none.body.length, 0);
});

test('HEAD is told the length a GET gets, and no body', { timeout: 30_000 }, async () => {
  const head = await raw('HEAD', '/unicode');
  assert.equal(head.headers['content-length'], String(Buffer.byteLength('héllo wörld ✓ 𝄞')));
  assert.equal(head.body.length, 0);
});

test('what undici refuses to construct, the light Response refuses too', { timeout: 30_000 }, async () => {
  const res = await raw('GET', '/refused');
  assert.deepEqual(JSON.parse(res.body.toString()), ['TypeError', 'RangeError', 'TypeError', 'TypeError', 'TypeError']);
});

test('the URL without parsing is the one undici would make, for every printable character', { timeout: 30_000 }, () => {
  const hosts = ['localhost', '127.0.0.1', '127.0.0.1:8080', 'example.com', 'Example.com', '1.2.3', '0x7f.1', 'x:80', 'x:443', 'x:08', 'x:65536', 'foo.1.', 'xn--abc.com', 'a..b', '_x', '256.1.1.1', ''];
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  const paths = ['/', '/a/./b', '/a/../b', '/a/..?x', '/.x', '/%41', '/é', ...printable.map((c) => `/a${c}b?${c}`)];
  let compared = 0;
  for (const encrypted of [false, true]) {
    for (const host of hosts) {
      for (const path of paths) {
        const url = `${encrypted ? 'https' : 'http'}://${host || 'localhost'}${path}`;
        let expected: string;
        try {
          expected = new Request(url).url;
        } catch {
          expected = 'refused';
        }
        let got: string;
        try {
          got = urlOf({ url: path, headers: { host }, socket: { encrypted } } as unknown as MountedRequest);
        } catch {
          got = 'refused';
        }
        assert.equal(got, expected, `${url}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 3000);
});
