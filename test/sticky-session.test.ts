/**
 * The worker's half of `balance: sticky` (daemon/worker/sticky-session.ts), on a real HTTP server
 * and raw client sockets: an engine.io handshake's answer does not leave before the worker's
 * `sid` message has (its `sent` callback), however long that takes: a channel to the arbiter
 * busy with other messages is played here by a `sent` the test calls when it chooses. So the
 * client's next request, which names the session, cannot reach the arbiter before the session
 * is known there, and the arbiter routes with no wait (test/sticky-balancer.test.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { stickySessions } from '../daemon/worker/sticky-session.js';

const HANDSHAKE = '0{"sid":"Ab_c-123","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}';

/** an engine.io-like app: the handshake in one end(), or in a write() and an end() */
function app(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '';
  const body = url.includes('sid=') ? '6' : url.includes('EIO=4') ? HANDSHAKE : 'plain';
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  if (url.includes('split')) {
    res.write(body.slice(0, 40));
    res.end(body.slice(40));
  } else res.end(body);
}

/**
 * A raw client: what arrived, and a promise of the answer: all of it once the server closes, or
 * (`until`) once it ends so, on a connection the server keeps open.
 */
function ask(port: number, path: string, until?: string): { received(): number; answer: Promise<string> } {
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  const answer = new Promise<string>((resolve, reject) => {
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (until !== undefined && got.endsWith(until)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { received: () => got.length, answer };
}

describe('sticky sessions, worker side: a handshake is answered only once its sid message has left', () => {
  const told: Array<{ sid: string; sent: () => void }> = [];
  const waiters: Array<() => void> = [];
  let server: http.Server | undefined;
  let port = 0;

  before(async () => {
    const hook = stickySessions((sid, sent) => {
      told.push({ sid, sent });
      waiters.shift()?.();
    });
    server = http.createServer(app);
    server.prependListener('request', hook);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    server?.closeAllConnections();
    server?.close();
  });

  const nextTell = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));

  for (const path of ['/socket.io/?EIO=4&transport=polling', '/socket.io/?EIO=4&transport=polling&split=1']) {
    it(`holds the answer until sent() (${path.includes('split') ? 'a write() and an end()' : 'one end()'}), then sends it whole, closing the connection`, { timeout: 30_000 }, async () => {
      const tellCalled = nextTell();
      const client = ask(port, path);
      await tellCalled;
      const { sid, sent } = told.at(-1)!;
      assert.equal(sid, 'Ab_c-123');
      // the server goes on serving meanwhile: a whole other request is answered
      assert.match(await ask(port, '/plain', 'plain').answer, /\r\n\r\nplain$/);
      assert.equal(client.received(), 0, 'not a byte of the handshake before the sid message has left');
      sent();
      const answer = await client.answer;
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /\r\nConnection: close\r\n/i);
      assert.ok(answer.endsWith(HANDSHAKE), answer);
    });
  }

  it('a request that names a session, and a plain one, are not held, and tell of nothing', { timeout: 30_000 }, async () => {
    const before = told.length;
    const polled = await ask(port, '/socket.io/?EIO=4&transport=polling&sid=Ab_c-123').answer;
    assert.ok(polled.endsWith('\r\n\r\n6'), polled);
    assert.match(polled, /\r\nConnection: close\r\n/i, 'every engine.io answer closes its connection');
    const plain = await ask(port, '/plain', 'plain').answer;
    assert.doesNotMatch(plain, /\r\nConnection: close\r\n/i, 'other requests keep their connection');
    assert.equal(told.length, before);
  });
});
