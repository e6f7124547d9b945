/**
 * socket.io as a new user writes it (`new Server(server)` in onStart, default clients that start on
 * long-polling and upgrade) across 4 workers with `balance: sticky`, and @socket.io/cluster-adapter
 * unmodified, its messages relayed by tsgid. Also what the arbiter's reading of the first line
 * must survive: a line in pieces, a body behind it, a client that sends nothing.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { FIXTURES, get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';

const CWD = join(FIXTURES, 'realtime');
const CLIENTS = 50;

const YAML = `
apps:
  chat:
    app: ./chat.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    workers: 4
    balance: sticky
    header_timeout: 1s
    graceful_timeout: 10s
    relay_max_message: 64KB
`;

interface Client {
  socket: Socket;
  /** the pid of the worker that said hello last */
  pid: number;
  /** resolves on the next hello (a reconnect) */
  nextHello(): Promise<number>;
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { reconnectionDelay: 100, reconnectionDelayMax: 1000, randomizationFactor: 0.5 });
    let waiters: Array<(pid: number) => void> = [];
    const c: Client = {
      socket,
      pid: 0,
      nextHello: () => new Promise((res) => waiters.push(res)),
    };
    socket.on('hello', (pid: number) => {
      const first = c.pid === 0;
      c.pid = pid;
      const w = waiters;
      waiters = [];
      for (const f of w) f(pid);
      if (first) resolve(c);
    });
    // a first connect error fails the test: the point is that every default client connects
    socket.once('connect_error', (err) => (c.pid === 0 ? reject(err) : undefined));
  });
}

function upgraded(c: Client): Promise<void> {
  const engine = c.socket.io.engine;
  return new Promise((resolve) => (engine.transport.name === 'websocket' ? resolve() : engine.once('upgrade', () => resolve())));
}

/** every client hears one shout of `from`'s, once */
async function broadcastReachesAll(from: Client, clients: Client[], msg: string): Promise<Set<number>> {
  const heard = clients.map((c) => new Promise<number>((resolve) => {
    const on = (m: { msg: string; from: number }): void => {
      if (m.msg !== msg) return;
      c.socket.off('heard', on);
      resolve(c.pid);
    };
    c.socket.on('heard', on);
  }));
  from.socket.emit('shout', msg);
  return new Set(await Promise.all(heard));
}

describe('socket.io across workers (balance: sticky)', () => {
  let d: Daemon | undefined;
  let url = '';
  let clients: Client[] = [];

  before(async () => {
    d = await startDaemon(YAML);
    url = await d.url('chat');
  });
  after(async () => {
    for (const c of clients) c.socket.close();
    await d?.stop();
  });

  it(`${CLIENTS} default clients connect over polling on all 4 workers, upgrade, and a broadcast from one reaches every worker's clients`, { timeout: 180_000 }, async () => {
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
    const pids = new Set(clients.map((c) => c.pid));
    assert.deepEqual([...pids].sort(), readyPids(await d!.status(), 'chat').sort(), 'the sessions are spread over all 4 workers');
    await Promise.all(clients.map(upgraded));
    for (const c of clients) assert.equal(c.socket.io.engine.transport.name, 'websocket');
    const reached = await broadcastReachesAll(clients[0]!, clients, 'one');
    assert.equal(reached.size, 4, 'clients of every worker heard it');
    const s = await d!.app('chat');
    assert.equal(s.balance, 'sticky');
  });

  it('a reload under those clients: each reconnects to a new worker and messages flow again', { timeout: 180_000 }, async () => {
    assert.equal(clients.length, CLIENTS, 'the clients of the test before');
    const old = readyPids(await d!.status(), 'chat');
    const again = clients.map((c) => c.nextHello());
    const reload = await d!.api('POST', '/v1/apps/chat/reload');
    assert.equal(reload.status, 200);
    const fresh = await Promise.all(again);
    for (const pid of fresh) assert.ok(!old.includes(pid), `reconnected to a new worker, not ${pid}`);
    await Promise.all(clients.map(upgraded));
    const reached = await broadcastReachesAll(clients[CLIENTS - 1]!, clients, 'two');
    assert.ok(reached.size > 1, 'clients on several new workers heard it');
  });

  it('a malformed and an oversized adapter message are dropped with one warning each; tsgid and the relay carry on', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 8; i++) await get(`${url}/bad`);
    for (let i = 0; i < 8; i++) await get(`${url}/big`);
    const out = await waitFor(() => {
      const o = d!.output();
      return /adapter message that was dropped \(no numeric type\)/.test(o) && /adapter message that was dropped \(\d+ bytes, over relay_max_message/.test(o) && o;
    }, { what: 'the two warnings' });
    const warnings = out.match(/adapter message that was dropped/g)!.length;
    assert.ok(warnings <= 8, `at most one per worker and kind: ${warnings}`);
    assert.ok(clients.length === CLIENTS);
    const reached = await broadcastReachesAll(clients[1]!, clients, 'three');
    assert.ok(reached.size > 1);
  });

  it('the first line in pieces, and a body behind it, reach the worker whole', { timeout: 30_000 }, async () => {
    const body = 'x'.repeat(100_000);
    const echoed = await get(`${url}/echo`, { method: 'POST', body });
    assert.equal(echoed.body, body);
    const { port } = new URL(url);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1');
      let got = '';
      s.on('data', (c) => (got += c.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
      s.write('GET /pi');
      setTimeout(() => s.write('d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 100);
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });

  it('a client that connects and sends nothing is closed (header_timeout: 1s), with no byte written', { timeout: 60_000 }, async () => {
    const { port } = new URL(url);
    const s = net.connect(Number(port), '127.0.0.1');
    let got = 0;
    s.on('data', (c) => (got += c.length));
    const closed = await new Promise<boolean>((resolve) => {
      s.on('close', () => resolve(true));
      s.on('error', () => {});
    });
    assert.ok(closed);
    assert.equal(got, 0);
    // and it did not take a worker's connection slot: the workers never saw it
    const s2 = await d!.app('chat');
    assert.equal(s2.state, 'running');
  });
});
