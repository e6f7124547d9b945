/**
 * Per-app HTTP input limits and request protection, enforced inside the worker: a real tsgid,
 * real sockets, exact bytes. Each refusal carries `Connection: close`, the app's handler never
 * sees it, and the same worker goes on serving.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Daemon, get, readyPids, startDaemon, tempDir } from './helpers/daemon.js';
import { selfSignedCert } from './helpers/tls.js';
import { exchange, hostPort, parseReply, type Reply } from './helpers/raw-http.js';
import { waitFor } from './helpers/wait.js';
import { count, type Count, LIMITS_APP as APP, startLimitsApps, untilOutput } from './helpers/limits-app.js';

/** A guard against hanging, never something a test asserts. */
const DEADLINE_MS = 15_000;


/** A kept-alive connection that sends one request at a time and reads a Content-Length response. */
class KeptAlive {
  private readonly socket: net.Socket;
  private text = '';
  private waiting: ((r: Reply) => void) | undefined;
  readonly connected: Promise<void>;

  constructor(url: string) {
    this.socket = net.connect(hostPort(url));
    this.socket.setEncoding('latin1');
    this.socket.on('error', () => {});
    this.connected = new Promise((resolve) => this.socket.once('connect', resolve));
    this.socket.on('data', (c: string) => {
      this.text += c;
      const end = this.text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const reply = parseReply(this.text);
      const length = Number(reply.headers['content-length']);
      if (reply.body.length < length) return;
      this.text = '';
      this.waiting?.(reply);
    });
  }

  request(path: string): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Polls the app until `pred` holds; the deadline only guards against hanging. */
async function until(url: string, what: string, pred: (c: Count) => boolean): Promise<Count> {
  let last: Count | undefined;
  return waitFor(async () => (pred((last = await count(url))) ? last : undefined), { what, timeout: DEADLINE_MS, detail: () => `last: ${JSON.stringify(last)}` });
}

function refused(r: Reply, status: number): void {
  assert.equal(r.status, status, `status ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.headers.connection, 'close');
}

describe('HTTP limits, enforced in the worker', () => {
  let d: Daemon;
  let strict: string;
  let slowloris: string;
  let few: string;

  before(async () => {
    ({ strict, slowloris, few } = await startLimitsApps({
      strict: { limit_request_line: 200, limit_request_fields: 10, limit_request_field_size: 300, limit_request_body: '1KB', request_timeout: '1s', keepalive: 0 },
      slowloris: { header_timeout: '2s' },
      few: { max_connections: 5, keepalive: '30s' },
    }, (started) => (d = started)));
  });

  after(async () => {
    await d?.stop();
  });

  it('answers 414, 431 and 413 without calling the app, and the same worker serves on', async () => {
    const [pid] = readyPids(await d.status(), 'strict');
    const before = await count(strict);
    // the request line is `GET <url> HTTP/1.1`: 200 bytes is the limit
    const atLimit = `/${'a'.repeat(200 - 'GET  HTTP/1.1'.length - 1)}`;
    assert.equal((await get(`${strict}${atLimit}`)).status, 200);
    refused(await exchange(strict, `GET ${atLimit}a HTTP/1.1\r\nHost: x\r\n\r\n`), 414);
    // with the default limits (the slowloris app's), a line past Node's own 16KB head limit is
    // still a 414: only a head past the 64KB cap is left to Node's parser, which answers 431
    refused(await exchange(slowloris, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414);
    refused(await exchange(strict, `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 431);

    const fields = (n: number) => Array.from({ length: n - 1 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
    assert.equal(parseReply(await rawKeptAlive(strict, `GET / HTTP/1.1\r\nHost: x\r\n${fields(10)}\r\n`)).status, 200);
    refused(await exchange(strict, `GET / HTTP/1.1\r\nHost: x\r\n${fields(11)}\r\n`), 431);
    // `X-Long: <value>` and CRLF: 300 bytes is the limit
    const value = (n: number) => 'b'.repeat(n - 'X-Long: \r\n'.length);
    assert.equal(parseReply(await rawKeptAlive(strict, `GET / HTTP/1.1\r\nHost: x\r\nX-Long: ${value(300)}\r\n\r\n`)).status, 200);
    refused(await exchange(strict, `GET / HTTP/1.1\r\nHost: x\r\nX-Long: ${value(301)}\r\n\r\n`), 431);

    // a Content-Length over the limit is refused before a byte of the body is sent
    refused(await exchange(strict, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n'), 413);
    assert.equal((await get(`${strict}/echo`, { method: 'POST', body: 'x'.repeat(1024) })).body, '1024');

    const counted = await count(strict);
    // the 4 requests at their limits reached the app; none of the 4 refused ones did
    assert.equal(counted.handled, before.handled + 4);
    assert.equal(counted.pid, pid);
    assert.equal((await get(strict)).body, `ok ${pid}`);
    assert.deepEqual(readyPids(await d.status(), 'strict'), [pid]);
  });

  it('cuts a chunked body at the limit: 413, and the app never sees more nor the end', async () => {
    const [pid] = readyPids(await d.status(), 'strict');
    const chunk = `258\r\n${'c'.repeat(600)}\r\n`;
    const before = await count(strict);
    const r = await exchange(strict, 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', chunk, chunk, chunk);
    refused(r, 413);
    // a body over the limit in the packets that came with the head is refused before the app is
    // called (body-limit.ts); one that grows past it later reaches the app, which sees it aborted
    if ((await count(strict)).handled !== before.handled) {
      const c = await until(strict, 'the app to see its request aborted', (x) => x.last?.aborted === true);
      assert.ok(c.last!.bytes <= 1024, `the app saw ${c.last!.bytes} bytes`);
      assert.equal(c.last!.ended, false, 'a cut body never ends as if complete');
    }
    // within the limit a chunked body goes through whole
    const ok = await get(`${strict}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'd'.repeat(1000) });
    assert.equal(ok.body, '1000');
    assert.equal((await get(strict)).body, `ok ${pid}`);
  });

  it('answers 503 for a request past request_timeout, logs it, and the worker lives on', async () => {
    const [pid] = readyPids(await d.status(), 'strict');
    const before = await count(strict);
    const r = await get(`${strict}/slow?ms=1500`);
    assert.equal(r.status, 503);
    assert.equal(r.headers.connection, 'close');
    refused(await exchange(strict, 'GET /hang?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n'), 503);
    // the app writes its own response after the 503 went out: dropped, not a crash
    await until(strict, 'the late write of /slow', (c) => c.late > before.late);
    // worker stderr reaches the daemon's output through the arbiter: wait for it, the query left out
    await untilOutput(d, /request timed out after 1000ms \(request_timeout\), answered 503: GET \/slow$/m);
    await untilOutput(d, /request timed out after 1000ms \(request_timeout\), answered 503: GET \/hang$/m);
    assert.equal((await get(strict)).body, `ok ${pid}`);
    assert.deepEqual(readyPids(await d.status(), 'strict'), [pid]);
  });

  it('cuts off 500 slowloris connections after header_timeout while other clients are served', async () => {
    const [pid] = readyPids(await d.status(), 'slowloris');
    const SLOW = 500;
    const sockets: net.Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < SLOW; i++) {
      const s = net.connect(hostPort(slowloris));
      s.on('error', () => {});
      closed.push(new Promise((resolve) => s.once('close', () => resolve())));
      sockets.push(s);
    }
    await Promise.all(sockets.map((s) => new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject))));
    for (const s of sockets) s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // one byte every 300ms on every connection, for 30 bytes at most: never a complete header
    let sent = 0;
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write('a');
      if (++sent === 30) clearInterval(drip);
    }, 300);
    try {
      for (let i = 0; i < 10; i++) {
        assert.equal((await get(slowloris)).body, `ok ${pid}`);
        assert.equal((await get(strict)).status, 200);
      }
      // every slow connection is closed by the server; the client never closes one itself
      const all = Promise.all(closed);
      let guard: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((_, reject) => (guard = setTimeout(() => reject(new Error('slow connections still open')), DEADLINE_MS)))]);
      clearTimeout(guard);
    } finally {
      clearInterval(drip);
      for (const s of sockets) s.destroy();
    }
    assert.equal((await get(slowloris)).body, `ok ${pid}`);
    assert.deepEqual(readyPids(await d.status(), 'slowloris'), [pid]);
  });

  it('keepalive: 0 closes the connection after each response; otherwise Node keeps it for keepalive', async () => {
    const once = parseReply(await rawKeptAlive(strict, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(once.status, 200);
    assert.equal(once.headers.connection, 'close');
    const kept = parseReply(await rawKeptAlive(few, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(kept.headers.connection, 'keep-alive');
    assert.equal(kept.headers['keep-alive'], 'timeout=30');
  });

  it('answers a connection past max_connections 503 while the first ones are served', async () => {
    const [pid] = readyPids(await d.status(), 'few');
    const held = Array.from({ length: 5 }, () => new KeptAlive(few));
    try {
      for (const c of held) assert.equal((await c.request('/')).body, `ok ${pid}`);
      refused(await exchange(few, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 503);
    // the refused connection took no place from them
      for (const c of held) assert.equal((await c.request('/')).status, 200);
    } finally {
      for (const c of held) c.close();
    }
    assert.deepEqual(readyPids(await d.status(), 'few'), [pid]);
  });
});

/** One request on a fresh connection, read until the response is complete (for limits that pass). */
async function rawKeptAlive(url: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(hostPort(url));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('error', reject);
    socket.on('data', (c: string) => {
      text += c;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (text.length - end - 4 >= length) {
        socket.destroy();
        resolve(text);
      }
    });
  });
}

describe('HTTP limits over HTTP/2', () => {
  it('resets the stream of a request past request_timeout or limit_request_body; the worker lives on', async () => {
    const dir = tempDir();
    selfSignedCert(dir);
    const d = await startDaemon(
      `
apps:
  h2:
    app: ${APP}
    listen: "127.0.0.1:0"
    certfile: tls.crt
    keyfile: tls.key
    http2: true
    limit_request_line: 200
    limit_request_body: 1KB
    request_timeout: 1s
`,
      { dir },
    );
    const session = http2.connect((await d.url('h2')).replace('http:', 'https:'), { rejectUnauthorized: false });
    session.on('error', () => {});
    try {
      const [pid] = readyPids(await d.status(), 'h2');
      const h2 = (path: string, body?: string) =>
        new Promise<{ status: number | undefined; body: string; reset: number }>((resolve) => {
          const stream = session.request({ ':path': path, ':method': body === undefined ? 'GET' : 'POST' });
          let status: number | undefined;
          let text = '';
          stream.on('response', (h) => (status = Number(h[':status'])));
          stream.on('data', (c: Buffer) => (text += c.toString()));
          stream.on('error', () => {});
          stream.on('close', () => resolve({ status, body: text, reset: stream.rstCode ?? 0 }));
          // a body with no Content-Length, in two DATA frames that together pass the limit
          if (body !== undefined) stream.write(body);
          stream.end(body);
        });
      assert.equal((await h2(`/${'a'.repeat(300)}`)).status, 414);
      const cut = await h2('/echo', 'x'.repeat(700));
      assert.equal(cut.status, undefined);
      assert.equal(cut.reset, http2.constants.NGHTTP2_CANCEL);
      const slow = await h2('/slow?ms=1500');
      assert.equal(slow.reset, http2.constants.NGHTTP2_CANCEL);
      const count2 = async () => JSON.parse((await h2('/count')).body) as Count;
      const c = await count2();
      assert.ok(c.last!.bytes <= 1024 && !c.last!.ended, JSON.stringify(c.last));
      // the app's own writes after its stream was reset go nowhere: wait for them, then look
      await waitFor(async () => (await count2()).late !== c.late, { what: 'the late write of /slow', timeout: DEADLINE_MS });
      assert.equal((await h2('/')).body, `ok ${pid}`);
      assert.deepEqual(readyPids(await d.status(), 'h2'), [pid]);
    } finally {
      session.close();
      await d.stop();
    }
  });
});
