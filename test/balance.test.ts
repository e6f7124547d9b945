/**
 * `balance: least-connections` and `ip-hash`, with real connections: where each one lands is read
 * from the worker's answer (its pid), and the connection counts from the daemon's status.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, startDaemon, type Daemon } from './helpers/daemon.js';

const CWD = join(FIXTURES, 'realtime');

const YAML = `
apps:
  lc:
    app: ./pid.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "127.0.0.1:0"
    workers: 3
    balance: least-connections
    keepalive: 120s
    timeout: 2s
  ih:
    app: ./pid.mjs
    cwd: ${JSON.stringify(CWD)}
    listen: "0.0.0.0:0"
    workers: 3
    balance: ip-hash
`;

/** a kept-alive connection that asked once which worker it is on */
async function held(port: number): Promise<{ socket: net.Socket; pid: number }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const text = await new Promise<string>((resolve, reject) => {
    let got = '';
    socket.on('data', (c) => {
      got += c.toString();
      if (/\r\n\r\n[\s\S]*\n/.test(got)) resolve(got);
    });
    socket.once('error', reject);
  });
  return { socket, pid: Number(/\r\n\r\n(?:[0-9a-f]+\r\n)?(\d+)\n/.exec(text)![1]) };
}

function pidFrom(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, localAddress, agent: false, path: '/' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(Number(body.trim())));
    }).once('error', reject);
  });
}

describe('balance policies', () => {
  let d: Daemon | undefined;
  before(async () => {
    d = await startDaemon(YAML);
  });
  after(async () => {
    await d?.stop();
  });

  /** the app's open connections by worker pid, once the heartbeats report `total` of them */
  async function counted(total: number): Promise<Map<number, number>> {
    const s = await d!.waitFor(`lc reporting ${total} connection(s)`, (st) => st.apps.find((a) => a.name === 'lc')!.workers.reduce((n, w) => n + w.connections, 0) === total);
    return new Map(s.apps.find((a) => a.name === 'lc')!.workers.map((w) => [w.pid!, w.connections]));
  }

  it('least-connections: even while all cost the same, then every new connection to the worker that lost its own', { timeout: 120_000 }, async () => {
    const port = Number(new URL(await d!.url('lc')).port);
    const conns: Array<{ socket: net.Socket; pid: number }> = [];
    for (let i = 0; i < 6; i++) {
      conns.push(await held(port));
      await counted(i + 1);
    }
    const byPid = await counted(6);
    assert.deepEqual([...byPid.values()], [2, 2, 2], 'two each');
    for (const c of conns) assert.equal(byPid.get(c.pid), 2);
    // the first connection's worker loses both of its own: the next two go there, round-robin would not
    const emptied = conns[0]!.pid;
    for (const c of conns.filter((x) => x.pid === emptied)) c.socket.destroy();
    await counted(4);
    const next: number[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await held(port);
      conns.push(c);
      next.push(c.pid);
      await counted(5 + i);
    }
    assert.deepEqual(next, [emptied, emptied]);
    for (const c of conns) c.socket.destroy();
    assert.equal((await d!.app('lc')).balance, 'least-connections');
  });

  it('ip-hash: each client address stays on one worker; addresses spread over all three', { timeout: 120_000 }, async () => {
    const port = Number(new URL(await d!.url('ih')).port);
    const where = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 2; i <= 7; i++) {
        const addr = `127.0.0.${i}`;
        const pid = await pidFrom(port, addr);
        if (round === 0) where.set(addr, pid);
        else assert.equal(pid, where.get(addr), `${addr} stays on its worker`);
      }
    }
    assert.equal(new Set(where.values()).size, 3, 'six addresses over three workers');
  });
});
