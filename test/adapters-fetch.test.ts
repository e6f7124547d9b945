// The fetch adapter on the wire: bodies both ways streamed, headers, HEAD, errors, aborts.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveFixtureApp } from './helpers/fixture-app.js';

const app = serveFixtureApp('./fetch-features.mjs');

/** Collects what the worker writes to stderr while `fn` runs, and keeps it off the test output. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const write = process.stderr.write;
  let captured = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return captured;
}

test('a 1 MB POST body is streamed to the app, not buffered', async () => {
  const body = new Uint8Array(1024 * 1024).fill(97);
  const res = await fetch(`${app.base}/length`, { method: 'POST', body });
  const json = (await res.json()) as { length: number; chunks: number; method: string };
  assert.equal(json.length, body.byteLength);
  assert.equal(json.method, 'POST');
  assert.ok(json.chunks > 1, `the body arrived in ${json.chunks} chunk(s)`);
});

test('a chunked request body of unknown length', async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(1000));
      controller.enqueue(new Uint8Array(234));
      controller.close();
    },
  });
  const res = await fetch(`${app.base}/length`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
  assert.equal(((await res.json()) as { length: number }).length, 1234);
});

test('a body the app does not read, reads in part, or cancels neither stalls nor closes the connection', async () => {
  let connections = 0;
  const count = (): void => void connections++;
  app.server.on('connection', count);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const big = Buffer.alloc(4 * 1024 * 1024, 98);
    for (const path of ['/ignore-body', '/first-chunk', '/cancel-body', '/ignore-body']) {
      const res = await rawRequest('POST', path, big, agent);
      assert.equal(res.statusCode, 200, path);
      assert.match(res.body, /^answered|^first chunk \d+ bytes$/);
    }
    assert.equal((await rawRequest('GET', '/cookies', undefined, agent)).body, 'cookies');
    assert.equal(connections, 1);
  } finally {
    app.server.off('connection', count);
    agent.destroy();
  }
});

test('a streamed response arrives chunk by chunk', async () => {
  const res = await fetch(`${app.base}/stream`);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(decoder.decode(r.value));
  assert.equal(parts.join(''), 'chunk0;chunk1;chunk2;');
  assert.ok(parts.length >= 2, 'more than one read: the body was not collected first');
});

test('a body whole at once goes out with its Content-Length, not chunked; an empty one with 0', async () => {
  for (const [path, body] of [['/cookies', 'cookies'], ['/status', 'teapot']] as const) {
    const res = await rawRequest('GET', path, undefined, false);
    assert.equal(res.headers['content-length'], String(body.length), path);
    assert.equal(res.headers['transfer-encoding'], undefined, path);
    assert.equal(res.body, body, path);
  }
  const empty = await rawRequest('GET', '/empty', undefined, false);
  assert.equal(empty.statusCode, 200);
  assert.equal(empty.headers['content-length'], '0');
  assert.equal(empty.body, '');
});

test('several set-cookie headers stay separate', async () => {
  const res = await fetch(`${app.base}/cookies`);
  assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  assert.equal(res.headers.get('x-one'), 'a');
});

test('HEAD gets the headers and no body; 204 has no body', async () => {
  const head = await fetch(`${app.base}/head`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('x-head'), 'yes');
  assert.equal(await head.text(), '');
  const empty = await fetch(`${app.base}/no-content`);
  assert.equal(empty.status, 204);
  assert.equal(await empty.text(), '');
});

test('status and statusText are carried over', async () => {
  const res = await rawGet('/status');
  assert.equal(res.statusCode, 418);
  assert.equal(res.statusMessage, 'I am a teapot');
});

test('a handler that throws or rejects gets a 500, is logged, and the worker serves on', async () => {
  const log = await captureStderr(async () => {
    for (const path of ['/throw', '/reject', '/not-a-response']) {
      const res = await fetch(`${app.base}${path}`);
      assert.equal(res.status, 500, path);
      assert.equal(await res.text(), 'Internal Server Error\n');
    }
  });
  assert.match(log, /boom from \/throw/);
  assert.match(log, /boom from \/reject/);
  assert.match(log, /not a Response/);
  assert.equal(await (await fetch(`${app.base}/cookies`)).text(), 'cookies');
});

test('request.signal aborts when the client goes away', async () => {
  const state = (): string | undefined => (globalThis as { tsgiAbort?: string }).tsgiAbort;
  const req = http.get(`${app.base}/abort`);
  req.on('error', () => {});
  for (let i = 0; i < 100 && state() !== 'waiting'; i++) await sleep(5);
  assert.equal(state(), 'waiting');
  req.destroy();
  for (let i = 0; i < 100 && state() !== 'aborted'; i++) await sleep(5);
  assert.equal(state(), 'aborted');
});

test('an endless response body is cancelled when the client goes away', async () => {
  const cancelled = (): boolean | undefined => (globalThis as { tsgiCancelled?: boolean }).tsgiCancelled;
  const controller = new AbortController();
  const res = await fetch(`${app.base}/forever`, { signal: controller.signal });
  const reader = res.body!.getReader();
  await reader.read();
  assert.equal(cancelled(), false);
  controller.abort();
  for (let i = 0; i < 100 && cancelled() !== true; i++) await sleep(5);
  assert.equal(cancelled(), true);
});

test('the Request URL is absolute, from the Host header; a forged script name is dropped', async () => {
  const res = await fetch(`${app.base}/where?x=1`, { headers: { 'x-tsgi-script-name': '/forged' } });
  assert.deepEqual(await res.json(), { url: `${app.base}/where?x=1`, scriptName: null });
});

test('a Host header that would change the path is refused with 400', async () => {
  const res = await rawGet('/where', { host: 'evil.example/other?' });
  assert.equal(res.statusCode, 400);
});

function rawGet(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<http.IncomingMessage & { body: string }> {
  return rawRequest('GET', path, undefined, false, headers);
}

function rawRequest(
  method: string,
  path: string,
  body: Uint8Array | undefined,
  agent: http.Agent | false,
  headers: http.OutgoingHttpHeaders = {},
): Promise<http.IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port: app.port, method, path, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(Object.assign(res, { body: text })));
      })
      .on('error', reject)
      .end(body);
  });
}
