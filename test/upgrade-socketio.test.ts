/**
 * socket.io, attached to the worker's server in onStart, under the default `balance: round-robin`:
 * across several workers, clients must then use the websocket transport, as the long-polling one
 * needs every request of a session on one worker (realtime-socketio.test.ts: `balance: sticky`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { FIXTURES, readyPids, startDaemon } from './helpers/daemon.js';

const CWD = join(FIXTURES, 'upgrade');

function yaml(workers: number): string {
  return `
apps:
  chat:
    app: ./socketio.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    workers: ${workers}
    graceful_timeout: 10s
`;
}

function connect(url: string, opts: Parameters<typeof io>[1] = {}): Promise<{ socket: Socket; pid: number }> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { reconnection: false, ...opts });
    socket.once('hello', (pid: number) => resolve({ socket, pid }));
    socket.once('connect_error', reject);
  });
}

describe('socket.io', () => {
  it('polling then upgrade to websocket on one worker; websocket-only clients on two; a reload disconnects them and they reconnect to new workers', async () => {
    const d = await startDaemon(yaml(1));
    try {
      const url = await d.url('chat');
      const { socket } = await connect(url);
      assert.match(await socket.emitWithAck('echo', 'a'), /^echo a from \d+$/);
      await new Promise<void>((resolve) => (socket.io.engine.transport.name === 'websocket' ? resolve() : socket.io.engine.once('upgrade', () => resolve())));
      assert.equal(socket.io.engine.transport.name, 'websocket');
      socket.close();
    } finally {
      await d.stop();
    }

    const d2 = await startDaemon(yaml(2));
    try {
      const url = await d2.url('chat');
      const before = readyPids(await d2.status(), 'chat');
      const clients = await Promise.all(Array.from({ length: 20 }, () => connect(url, { transports: ['websocket'] })));
      assert.equal(new Set(clients.map((c) => c.pid)).size, 2, 'spread over both workers');
      const gone = clients.map((c) => new Promise<string>((resolve) => c.socket.once('disconnect', (reason) => resolve(reason))));
      await d2.api('POST', '/v1/apps/chat/reload');
      const reasons = await Promise.all(gone);
      for (const reason of reasons) assert.equal(reason, 'io server disconnect');
      const after = await d2.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.pid === undefined || !before.includes(w.pid)));
      const fresh = readyPids(after, 'chat');
      const again = await Promise.all(Array.from({ length: 10 }, () => connect(url, { transports: ['websocket'] })));
      for (const c of again) {
        assert.ok(fresh.includes(c.pid));
        assert.equal(await c.socket.emitWithAck('echo', 'b'), `echo b from ${c.pid}`);
        c.socket.close();
      }
    } finally {
      await d2.stop();
    }
  });
});
