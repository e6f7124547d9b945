/**
 * Upgrade requests with a real WebSocket library (ws): apps that attach to the worker's server
 * or export `upgrade`, apps that take none (501), and a reload under 100 open sockets.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { FIXTURES, get, readyPids, startDaemon } from './helpers/daemon.js';

const run = promisify(execFile);
const CWD = join(FIXTURES, 'upgrade');

function yaml(app: string, extra = ''): string {
  return `
apps:
  web:
    app: ./${app}
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    workers: 2
${extra}`;
}

function wsUrl(url: string, path = '/'): string {
  return url.replace(/^http/, 'ws') + path;
}

/** A client whose messages queue up, so a test can await the next one. */
class Client {
  readonly ws: WebSocket;
  private queue: string[] = [];
  private waiting: Array<(m: string) => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      const m = String(data);
      const w = this.waiting.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  next(): Promise<string> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

describe('upgrades', () => {
  it('a ws app on 2 workers: 100 sockets closed with 1001 on reload, and reconnecting reaches the new workers', async () => {
    const d = await startDaemon(yaml('ws-echo.mjs', '    graceful_timeout: 10s\n'));
    try {
      const url = await d.url('web');
      const before = readyPids(await d.status(), 'web');
      const clients = Array.from({ length: 100 }, () => new Client(wsUrl(url)));
      await Promise.all(clients.map((c) => c.opened));
      const pidsSeen = new Set<number>();
      for (const c of clients) {
        const hello = await c.next();
        pidsSeen.add(Number(hello.split(' ')[1]));
        c.ws.send('ping');
        assert.equal(await c.next(), 'echo ping');
      }
      assert.equal(pidsSeen.size, 2, 'the sockets were spread over both workers');
      const started = Date.now();
      const r = await d.api('POST', '/v1/apps/web/reload');
      assert.equal(r.status, 200);
      const closes = await Promise.all(clients.map((c) => c.closed));
      for (const close of closes) assert.ok(close.code === 1001 || close.code === 1012, `clean close, got ${close.code}`);
      assert.ok(Date.now() - started < 8000, 'closed by onDrain, not by graceful_timeout');
      const after = await d.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.pid === undefined || !before.includes(w.pid)));
      const fresh = readyPids(after, 'web');
      const again = Array.from({ length: 20 }, () => new Client(wsUrl(url)));
      await Promise.all(again.map((c) => c.opened));
      for (const c of again) {
        const pid = Number((await c.next()).split(' ')[1]);
        assert.ok(fresh.includes(pid), `reconnected to a new worker (${pid})`);
        c.ws.send('pong');
        assert.equal(await c.next(), 'echo pong');
        c.ws.close();
      }
      assert.match((await get(url)).body, /^http \d+/);
    } finally {
      await d.stop();
    }
  });

  it('the `upgrade` export gets Upgrade requests, with the path as requested', async () => {
    const d = await startDaemon(yaml('ws-export.mjs'));
    try {
      const url = await d.url('web');
      const c = new Client(wsUrl(url, '/chat?room=1'));
      await c.opened;
      c.ws.send('hi');
      assert.equal(await c.next(), '/chat?room=1 hi');
      c.ws.close();
      assert.equal((await get(url)).body, 'plain\n');
    } finally {
      await d.stop();
    }
  });

  it('apps that take no upgrades answer 501; Upgrade: h2c is ignored and served as HTTP/1.1', async () => {
    const d = await startDaemon(`
apps:
  plain:
    app: ./plain.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
  edge:
    app: ./fetch.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
`);
    try {
      for (const app of ['plain', 'edge']) {
        const url = await d.url(app);
        const status = await new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(wsUrl(url));
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('open', () => reject(new Error('opened')));
          ws.once('error', reject);
        });
        assert.equal(status, 501, app);
        // the connection still serves plain requests
        assert.equal((await get(url)).status, 200);
      }
      const plain = await d.url('plain');
      const { stdout, stderr } = await run('curl', ['-s', '-v', '--http2', `${plain}/`]);
      assert.match(stderr, /Upgrade: h2c/, 'curl offered h2c');
      assert.equal(stdout, 'plain 1.1\n');
      const edge = await d.url('edge');
      assert.equal((await run('curl', ['-s', '--http2', `${edge}/x`])).stdout, 'fetch /x\n');
    } finally {
      await d.stop();
    }
  });

  it('sockets an app does not close on drain are cut at graceful_timeout', async () => {
    const d = await startDaemon(yaml('ws-lingering.mjs', '    graceful_timeout: 1s\n').replace('workers: 2', 'workers: 1'));
    try {
      const url = await d.url('web');
      const c = new Client(wsUrl(url));
      await c.opened;
      const started = Date.now();
      await d.api('POST', '/v1/apps/web/reload');
      // still served while draining
      c.ws.send('still here');
      assert.equal(await c.next(), 'still here');
      const close = await c.closed;
      const took = Date.now() - started;
      assert.equal(close.code, 1006);
      assert.ok(took >= 900 && took < 5000, `cut at graceful_timeout (${took} ms)`);
    } finally {
      await d.stop();
    }
  });
});
