import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ListenAddress } from '../daemon/config/index.js';
import type { Connection } from '../daemon/protocol.js';
import { boundAddress, closeListener, openListener } from '../daemon/os/sockets.js';
import { tempDir } from './helpers/daemon.js';

/** Listen on `addr`, connect a client that sends a request, and return what the arbiter's side got. */
async function acceptOne(addr: ListenAddress): Promise<{ conn: Connection; client: net.Socket; server: net.Server }> {
  let got!: (c: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => (got = resolve));
  const server = await openListener(addr, (c) => got(c), 'test');
  const bound = boundAddress(server, addr);
  const client = bound.kind === 'unix' ? net.connect(bound.path) : net.connect(bound.port, bound.host);
  await once(client, 'connect');
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  return { conn: await accepted, client, server };
}

describe('the arbiter\'s listening sockets', () => {
  const dir = tempDir('tsgi-sockets-');
  const addrs: ListenAddress[] = [
    { kind: 'tcp', host: '127.0.0.1', port: 0, raw: '127.0.0.1:0' },
    { kind: 'unix', path: join(dir, 'app.sock'), raw: `unix:${join(dir, 'app.sock')}` },
  ];
  for (const addr of addrs) {
    it(`hands over each ${addr.kind} connection as a bare handle, never read: closing it resets the client`, async () => {
      const { conn, client, server } = await acceptOne(addr);
      try {
        assert.ok(!(conn instanceof net.Socket), 'no stream is made for a connection the arbiter never reads');
        let answered = '';
        client.on('data', (d: Buffer) => (answered += d.toString()));
        const failed = once(client, 'error');
        conn.close();
        // the kernel resets a connection closed with bytes still unread: the request was left for a worker
        const [err] = (await failed) as [NodeJS.ErrnoException];
        assert.equal(err.code, 'ECONNRESET');
        assert.equal(answered, '');
      } finally {
        client.destroy();
        closeListener(server);
      }
    });
  }
});
