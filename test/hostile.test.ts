/**
 * Hostile clients, bounded by the defaults: requests a strict HTTP/1 parser (gunicorn's) refuses,
 * a trickled body (min_body_rate), the default limit_request_body, a full worker making room, and
 * the same limits over TLS, HTTP/2 and Upgrade requests. Real tsgid, real sockets, exact bytes.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { type Daemon, delay, get, readyPids, startDaemon, tempDir } from './helpers/daemon.js';
import { exchange, hostPort, parseReply, RAW_DEADLINE_MS } from './helpers/raw-http.js';
import { count, LIMITS_APP as APP, startLimitsApps, untilOutput } from './helpers/limits-app.js';
import { selfSignedCert } from './helpers/tls.js';

const T = { timeout: 60_000 };

/** Resolves when `socket` closes; rejects if it has not within the deadline. */
function closedBy(socket: net.Socket, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${what}: still open`)), RAW_DEADLINE_MS);
    socket.once('close', () => {
      clearTimeout(guard);
      resolve();
    });
  });
}

/** A POST /echo with a 1000-byte Content-Length whose body comes one byte every 500ms (2 B/s); `text` is what the server sent back. */
function trickle(url: string): { socket: net.Socket; text: () => string; stop: () => void } {
  const socket = net.connect(hostPort(url));
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (c: string) => (text += c));
  socket.on('error', () => {});
  socket.on('connect', () => socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n'));
  const drip = setInterval(() => {
    if (socket.writable && !socket.connecting) socket.write('a');
  }, 500);
  socket.once('close', () => clearInterval(drip));
  return { socket, text: () => text, stop: () => (clearInterval(drip), socket.destroy()) };
}

describe('hostile clients over HTTP/1, with the default limits', () => {
  let d: Daemon;
  let url: string;
  let few: string;

  before(async () => {
    ({ defaults: url, few } = await startLimitsApps({ defaults: {}, few: { max_connections: 5 } }, (started) => (d = started)));
  });

  after(async () => {
    await d?.stop();
  });

  it('answers 400 to the four requests gunicorn refuses, without the app, and serves on', T, async () => {
    const [pid] = readyPids(await d.status(), 'defaults');
    const before = await count(url);
    const four = {
      'HTTP/1.0 with a chunked body': 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'Host in a trailer': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: evil\r\n\r\n',
      'GET *': 'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
      'HTTP/2.0 on the HTTP/1 parser': 'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
    };
    for (const [what, bytes] of Object.entries(four)) {
      const r = await exchange(url, bytes);
      assert.equal(r.status, 400, `${what}: got ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.connection, 'close', what);
    }
    // what they are not: OPTIONS *, a trailer that may be one, an absolute-form target
    assert.equal((await exchange(url, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 200);
    assert.equal((await exchange(url, 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n')).body, '5');
    assert.equal((await exchange(url, 'GET http://x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 200);
    const c = await count(url);
    assert.equal(c.handled, before.handled + 3, 'only the 3 good requests reached the app');
    assert.equal(c.pid, pid);
    assert.deepEqual(readyPids(await d.status(), 'defaults'), [pid]);
  });

  it('refuses a body over 10MB by default (413), and takes one of 10MB', T, async () => {
    const r = await exchange(url, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * 1024 * 1024 + 1}\r\n\r\n`);
    assert.equal(r.status, 413);
    const ok = await get(`${url}/echo`, { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024) });
    assert.equal(ok.body, String(10 * 1024 * 1024));
  });

  it('answers 408 to a body slower than 240 B/s after 5s, logs it, and the worker lives on', T, async () => {
    const [pid] = readyPids(await d.status(), 'defaults');
    const t = trickle(url);
    try {
      await closedBy(t.socket, 'a body sent at 2 B/s');
      const r = parseReply(t.text());
      assert.equal(r.status, 408);
      assert.equal(r.headers.connection, 'close');
    } finally {
      t.stop();
    }
    await untilOutput(d, /request body slower than 240 B\/s \(min_body_rate\): \d+ bytes in \d+ms, answered 408: POST \/echo$/m);
    const c = await count(url);
    assert.equal(c.last!.ended, false, 'the app never saw the cut body end');
    assert.equal((await get(url)).body, `ok ${pid}`);
  });

  it('a full worker closes a trickling connection to serve a new one, and says so', T, async () => {
    const [pid] = readyPids(await d.status(), 'few');
    const trickles = Array.from({ length: 5 }, () => trickle(few));
    try {
      await Promise.all(trickles.map((t) => new Promise((resolve) => t.socket.once('connect', resolve))));
      // past the 250ms a body must have been slow for to be reclaimed, well inside the 5s grace
      await delay(1500);
      assert.equal((await get(few)).body, `ok ${pid}`);
      assert.ok(trickles.some((t) => t.socket.destroyed || t.socket.readableEnded), 'one trickling connection was closed');
      await untilOutput(d, /worker at max_connections \(5\): 1 connection with a body slower than min_body_rate closed to make room/);
    } finally {
      for (const t of trickles) t.stop();
    }
  });
});

describe('the same limits over TLS, HTTP/2 and Upgrade requests', () => {
  let d: Daemon;
  let tlsUrl: string;
  let h2Url: string;
  let up: string;

  before(async () => {
    const dir = tempDir();
    selfSignedCert(dir);
    d = await startDaemon(
      `
apps:
  tls:
    app: ${APP}
    listen: "127.0.0.1:0"
    certfile: tls.crt
    keyfile: tls.key
    max_connections: 1
    header_timeout: 3s
    keepalive: 30s
  h2:
    app: ${APP}
    listen: "127.0.0.1:0"
    certfile: tls.crt
    keyfile: tls.key
    http2: true
  up:
    app: ${APP}
    listen: "127.0.0.1:0"
    limit_request_line: 200
    limit_request_body: 1KB
    request_timeout: 1s
`,
      { dir },
    );
    [tlsUrl, h2Url, up] = await Promise.all([d.url('tls'), d.url('h2'), d.url('up')]);
    h2Url = h2Url.replace('http:', 'https:');
  });

  after(async () => {
    await d?.stop();
  });

  it('TLS: a handshake never begun is closed after header_timeout', T, async () => {
    const raw = net.connect(hostPort(tlsUrl));
    raw.on('error', () => {});
    let bytes = 0;
    raw.on('data', (c: Buffer) => (bytes += c.length));
    await closedBy(raw, 'a TLS connection that never sends a ClientHello');
    assert.equal(bytes, 0);
  });

  it('TLS: past max_connections the connection is closed without a plain-text byte', T, async () => {
    const held = tls.connect({ ...hostPort(tlsUrl), rejectUnauthorized: false });
    held.on('error', () => {});
    await new Promise((resolve) => held.once('secureConnect', resolve));
    const ask = () =>
      new Promise<string>((resolve) => {
        let text = '';
        const onData = (c: Buffer) => {
          text += c.toString('latin1');
          if (/\r\n\r\nok \d+$/.test(text)) {
            held.off('data', onData);
            resolve(text);
          }
        };
        held.on('data', onData);
        held.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      });
    try {
      assert.match(await ask(), /^HTTP\/1\.1 200/);
      const raw = net.connect(hostPort(tlsUrl));
      raw.on('error', () => {});
      let bytes = 0;
      let ended = false;
      raw.on('data', (c: Buffer) => (bytes += c.length));
      raw.on('end', () => (ended = true));
      await closedBy(raw, 'a connection past max_connections');
      assert.equal(bytes, 0, 'no plain-text 503 in a TLS stream');
      assert.ok(ended, 'closed with a FIN, not reset');
      // the held connection lost nothing
      assert.match(await ask(), /^HTTP\/1\.1 200/);
    } finally {
      held.destroy();
    }
  });

  it('HTTP/2: header count and size limits give 431, a trickled body is reset, the worker lives on', T, async () => {
    const [pid] = readyPids(await d.status(), 'h2');
    const session = http2.connect(h2Url, { rejectUnauthorized: false });
    session.on('error', () => {});
    try {
      const h2 = (headers: http2.OutgoingHttpHeaders) =>
        new Promise<{ status: number | undefined; body: string }>((resolve) => {
          const stream = session.request({ ':path': '/', ...headers });
          let status: number | undefined;
          let text = '';
          stream.on('response', (h) => (status = Number(h[':status'])));
          stream.on('data', (c: Buffer) => (text += c.toString()));
          stream.on('error', () => {});
          stream.on('close', () => resolve({ status, body: text }));
          stream.end();
        });
      const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-f${i}`, String(i)]));
      // pseudo-headers (:path…) are not counted: 100 fields of the app's own are within the default limit
      assert.equal((await h2(fields(99))).status, 200);
      assert.equal((await h2(fields(101))).status, 431);
      assert.equal((await h2({ 'x-long': 'b'.repeat(9000) })).status, 431);

      const stream = session.request({ ':path': '/echo', ':method': 'POST' });
      stream.on('error', () => {});
      const drip = setInterval(() => stream.write('a'), 500);
      try {
        await new Promise<void>((resolve, reject) => {
          const guard = setTimeout(() => reject(new Error('the trickled stream was not reset')), RAW_DEADLINE_MS);
          stream.once('close', () => {
            clearTimeout(guard);
            resolve();
          });
        });
      } finally {
        clearInterval(drip);
      }
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_CANCEL);
      assert.equal((await h2({})).body, `ok ${pid}`);
    } finally {
      session.close();
    }
    await untilOutput(d, /request body slower than 240 B\/s \(min_body_rate\).*cut off: POST \/echo$/m);
    assert.deepEqual(readyPids(await d.status(), 'h2'), [pid]);
  });

  it('Upgrade: head and body limits refuse it, request_timeout answers 503, and an upgrade within them works', T, async () => {
    const [pid] = readyPids(await d.status(), 'up');
    const upgrade = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n${extra}\r\n`;
    assert.equal((await exchange(up, upgrade(`/${'a'.repeat(200)}`))).status, 414);
    assert.equal((await exchange(up, upgrade('/', 'Content-Length: 2000\r\n'))).status, 413);
    assert.equal((await exchange(up, upgrade('/hang'))).status, 503);
    await untilOutput(d, /upgrade not answered after 1000ms \(request_timeout\), answered 503: GET \/hang$/m);

    const socket = net.connect(hostPort(up));
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    let text = '';
    const echoed = new Promise<void>((resolve) =>
      socket.on('data', (c: string) => {
        text += c;
        if (text.endsWith('ping')) resolve();
      }),
    );
    socket.write(upgrade('/'));
    socket.write('ping');
    await echoed;
    assert.match(text, /^HTTP\/1\.1 101 /);
    // past request_timeout, the upgraded connection is the app's protocol's, not cut
    await delay(1500);
    socket.write('pong');
    await new Promise<void>((resolve) => socket.on('data', () => text.endsWith('pong') && resolve()));
    socket.destroy();
    assert.equal((await get(up)).body, `ok ${pid}`);
  });
});
