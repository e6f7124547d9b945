/**
 * The sticky balancer in process, with real sockets and bare handles as the arbiter accepts them
 * (os/sockets.ts): a request naming a session goes to the worker that told of it, also when that
 * worker's `sid` message (here a line on a second TCP connection, standing in for the IPC channel)
 * is written in the same turn as the request; the bytes read go on with it; a session no worker
 * told of goes round-robin at once. The order in which the request would come first cannot
 * happen: the worker answers a handshake only once its `sid` message is written
 * (test/sticky-session.test.ts), so the arbiter routes with no wait.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Balancer } from '../daemon/pool/balance/balancer.js';
import type { ConnInfo } from '../daemon/pool/balance/policy.js';
import { closeListener, openListener } from '../daemon/os/sockets.js';
import type { Connection } from '../daemon/protocol.js';

interface FakeWorker {
  id: number;
  connections: number;
}

const workers: FakeWorker[] = [1, 2, 3].map((id) => ({ id, connections: 0 }));

describe('sticky balancer: a session told of in the same turn as its request', () => {
  const balancer = new Balancer<FakeWorker>({ balance: 'sticky', header_timeout: 10_000, limit_request_line: 4094, backlog: 16 });
  /** where each routed connection went, by the sid it named */
  const routed: Array<{ info: ConnInfo; to: FakeWorker }> = [];
  const waiting: Array<() => void> = [];
  let arbiter: net.Server | undefined;
  let channel: net.Server | undefined;
  const clients: net.Socket[] = [];
  const accepted: Connection[] = [];
  const told: Array<(s: net.Socket) => void> = [];

  before(async () => {
    arbiter = await openListener({ kind: 'tcp', host: '127.0.0.1', port: 0, raw: '127.0.0.1:0' }, (conn) => {
      accepted.push(conn);
      balancer.admit(conn, (c, info) => {
        routed.push({ info, to: balancer.pick(workers, info) });
        c.close();
        waiting.shift()?.();
      });
    }, 'test');
    // stands in for a worker's IPC channel: each line is a `sid` message from worker 2
    channel = net.createServer((s) => {
      s.setEncoding('utf8');
      s.on('data', (line: string) => {
        for (const sid of line.split('\n').filter(Boolean)) balancer.learned(workers[1]!, sid);
      });
      told.shift()?.(s);
    });
    await new Promise<void>((resolve) => channel!.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    for (const c of clients) c.destroy();
    if (arbiter !== undefined) closeListener(arbiter);
    channel?.close();
  });

  async function connect(server: net.Server, onServerSide?: Promise<unknown>): Promise<net.Socket> {
    const { port } = server.address() as net.AddressInfo;
    const s = net.connect(port, '127.0.0.1');
    clients.push(s);
    s.on('error', () => {});
    await new Promise((resolve) => s.once('connect', resolve));
    await onServerSide;
    return s;
  }

  it('each of 20 follow-up requests goes to the worker that told of its session in that same turn', { timeout: 30_000 }, async () => {
    const ipc = await connect(channel!, new Promise((resolve) => told.push(resolve)));
    for (let i = 0; i < 20; i++) {
      const before = accepted.length;
      const client = await connect(arbiter!);
      // the arbiter has the handle, and is reading it, before anything is written
      while (accepted.length === before) await new Promise((resolve) => setImmediate(resolve));
      const done = new Promise<void>((resolve) => waiting.push(resolve));
      const sid = `s${i}x${process.pid}`;
      // both written in one turn: both readable in the arbiter's next poll of the event loop
      client.write(`GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n\r\n`);
      ipc.write(`${sid}\n`);
      await done;
      const last = routed.at(-1)!;
      assert.equal(last.info.sid, sid);
      assert.equal(last.to.id, 2, `request ${i} (sid ${sid}) to the worker that made the session`);
      assert.match(last.info.head!.toString('latin1'), new RegExp(`^GET /socket\\.io/\\?EIO=4&transport=polling&sid=${sid} HTTP/1\\.1\\r\\n`), 'the bytes read go on with it');
    }
  });

  it('a session no worker tells of goes round-robin, its bytes kept', { timeout: 30_000 }, async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const client = await connect(arbiter!);
      const done = new Promise<void>((resolve) => waiting.push(resolve));
      client.write(`GET /socket.io/?EIO=4&transport=polling&sid=gone${i} HTTP/1.1\r\n`);
      await done;
      const last = routed.at(-1)!;
      assert.equal(last.info.sid, `gone${i}`);
      assert.equal(last.info.head!.toString('latin1'), `GET /socket.io/?EIO=4&transport=polling&sid=gone${i} HTTP/1.1\r\n`);
      seen.add(last.to.id);
    }
    assert.equal(seen.size, 3, 'each to the next worker in turn');
  });
});
