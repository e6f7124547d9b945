/**
 * `balance: sticky` behind a real nginx over a unix socket, on the nginx configuration docs/TSGI.md
 * shows (read out of it): every client has nginx's address, so only the `sid` in each request can
 * keep a session on its worker. socket.io clients with default transports (long-polling, then
 * WebSocket through nginx's Upgrade/Connection headers) connect across 4 workers while plain
 * requests of the same app keep nginx's kept-alive upstream connections busy; each client says
 * hello once (no session lost and started over), upgrades, and a broadcast reaches every worker's
 * clients.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { FIXTURES, readyPids, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { docNginxConf, localConf, runNginx, type Nginx } from './helpers/nginx.js';
import { NGINX_TOOL, needs } from './helpers/tools.js';

const CLIENTS = 20;
const WORKERS = 4;

interface Client {
  socket: Socket;
  pid: number;
  hellos: number;
  errors: string[];
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { reconnectionDelay: 100, reconnectionDelayMax: 1000 });
    const c: Client = { socket, pid: 0, hellos: 0, errors: [] };
    socket.on('hello', (pid: number) => {
      c.hellos++;
      if (c.pid === 0) {
        c.pid = pid;
        resolve(c);
      }
    });
    socket.on('connect_error', (err) => {
      c.errors.push(err.message);
      if (c.pid === 0) reject(err);
    });
    // a polling request sent to a worker that does not know the session ends the transport
    socket.io.engine.on('close', (reason: string) => c.errors.push(`engine closed: ${reason}`));
  });
}

function upgraded(c: Client): Promise<void> {
  const engine = c.socket.io.engine;
  return new Promise((resolve) => (engine.transport.name === 'websocket' ? resolve() : engine.once('upgrade', () => resolve())));
}

/** plain requests of the app on kept-alive connections, through nginx's kept-alive upstream, until stopped */
function plainLoad(base: string): { stop(): Promise<{ ok: number; failed: string[] }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const one = (): Promise<void> => new Promise((resolve) => {
    http.get(`${base}/plain`, { agent }, (res) => {
      res.resume().on('end', () => {
        if (res.statusCode === 200) ok++;
        else failed.push(String(res.statusCode));
        resolve();
      });
    }).on('error', (e) => {
      failed.push(e.message);
      resolve();
    });
  });
  const loops = Array.from({ length: 4 }, async () => {
    while (running) await one();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { ok, failed };
    },
  };
}

describe('socket.io behind nginx (balance: sticky, the docs/TSGI.md nginx configuration)', needs(NGINX_TOOL), () => {
  let d: Daemon | undefined;
  let nginx: Nginx | undefined;
  const clients: Client[] = [];

  before(async () => {
    const dir = tempDir('tsgi-rt-nginx-');
    d = await startDaemon(`
apps:
  chat:
    app: ${join(FIXTURES, 'realtime/chat.mjs')}
    listen: "unix:chat.sock"
    workers: ${WORKERS}
    balance: sticky
`, { dir });
    const sock = join(dir, 'chat.sock');
    nginx = await runNginx(join(dir, 'nginx'), (port) => {
      const doc = docNginxConf('docs/TSGI.md');
      const at = 'server unix:/run/tsgi/chat.sock;';
      assert.equal(doc.split(at).length, 3, 'the doc names the socket in its two upstreams');
      return localConf(doc.replaceAll(at, `server unix:${sock};`), join(dir, 'nginx'), port);
    });
  });

  after(async () => {
    for (const c of clients) c.socket.close();
    await nginx?.stop();
    await d?.stop();
  });

  it(`${CLIENTS} default clients connect through nginx over polling on all ${WORKERS} workers, upgrade, and messages flow, beside plain kept-alive requests`, { timeout: 180_000 }, async () => {
    const load = plainLoad(nginx!.base);
    try {
      // a few at a time, so that plain requests go back and forth between their handshakes and polls
      for (let i = 0; i < CLIENTS; i += 4) clients.push(...(await Promise.all(Array.from({ length: Math.min(4, CLIENTS - i) }, () => connect(nginx!.base)))));
      await Promise.all(clients.map(upgraded));
    } finally {
      const plain = await load.stop();
      assert.deepEqual(plain.failed, [], 'every plain request answered 200');
      assert.ok(plain.ok > 0, 'plain requests ran beside');
    }
    assert.deepEqual([...new Set(clients.map((c) => c.pid))].sort(), readyPids(await d!.status(), 'chat').sort(), 'the sessions are spread over every worker');
    for (const c of clients) assert.equal(c.socket.io.engine.transport.name, 'websocket');
    // a shout from one client: every client, on every worker, hears it once
    const heard = clients.map((c) => new Promise<number>((resolve) => c.socket.once('heard', () => resolve(c.pid))));
    clients[0]!.socket.emit('shout', 'through nginx');
    assert.equal(new Set(await Promise.all(heard)).size, WORKERS, "clients of every worker heard it");
    for (const c of clients) {
      assert.deepEqual(c.errors, [], 'no session was lost on its way');
      assert.equal(c.hellos, 1, 'connected once, never started over');
    }
    const log = nginx!.errorLog();
    assert.doesNotMatch(log, /\[error\]/, log);
  });
});
