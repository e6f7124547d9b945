/**
 * Requests lost across one restart of tsgid itself (systemctl restart: the old tsgid drains and
 * exits, a new one starts), under 4 clients making one request per connection: with the socket
 * held outside tsgid and passed in (systemd socket activation, here the test suite's stand-in for
 * the .socket unit), and with tsgid binding it itself.
 *
 *   npm run build && node dist/bench/restart-gap.js
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import readline from 'node:readline';
import { machine, ROOT, scratch, TSGID } from './lib.js';

interface Run {
  pid: number;
  exited: Promise<unknown>;
}

async function measure(mode: 'socket-activated' | 'bound by tsgid'): Promise<string> {
  const dir = scratch('restart-gap');
  const cfg = join(dir, 'tsgi.yaml');
  const held = net.createServer();
  await new Promise<void>((resolve) => held.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (held.address() as net.AddressInfo).port;
  writeFileSync(cfg, `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ${ROOT}/test/fixtures/systemd/env-app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 2\n`);
  let start: () => Promise<Run>;
  let cleanup = (): void => {};
  if (mode === 'socket-activated') {
    const fd = (held as unknown as { _handle: { fd: number } })._handle.fd;
    const holder = spawn(process.execPath, [join(ROOT, 'test/fixtures/systemd/hold-fds.mjs'), 'web', join(dir, 'tsgid'), TSGID, '-c', cfg], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit', fd] });
    held.close();
    const exits = new Map<number, () => void>();
    let started: ((pid: number) => void) | undefined;
    readline.createInterface({ input: holder.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as { started?: number; exited?: number };
      if (e.started !== undefined) started?.(e.started);
      if (e.exited !== undefined) exits.get(e.exited)?.();
    });
    start = async () => {
      const pid = await new Promise<number>((resolve) => {
        started = resolve;
        holder.stdin!.write('start\n');
      });
      return { pid, exited: new Promise<void>((resolve) => exits.set(pid, resolve)) };
    };
    cleanup = () => holder.kill('SIGKILL');
  } else {
    await new Promise((resolve) => held.close(resolve));
    start = async () => {
      const p = spawn(process.execPath, [TSGID, '-c', cfg], { cwd: dir, stdio: 'ignore' });
      return { pid: p.pid!, exited: new Promise((resolve) => p.once('exit', resolve)) };
    };
  }
  const ready = async (): Promise<void> => {
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        http.get({ socketPath: join(dir, 'admin.sock'), path: '/v1/ready', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        }).on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const first = await start();
  await ready();
  let ok = 0;
  let failed = 0;
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      await new Promise<void>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) ok++;
            else failed++;
            resolve();
          });
        }).on('error', () => {
          failed++;
          resolve();
        });
      });
    }
  };
  const clients = [client(), client(), client(), client()];
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.kill(first.pid, 'SIGTERM');
  await first.exited;
  const second = await start();
  await ready();
  await new Promise((resolve) => setTimeout(resolve, 500));
  running = false;
  await Promise.all(clients);
  process.kill(second.pid, 'SIGTERM');
  await second.exited;
  cleanup();
  return `| ${mode} | ${ok} | ${failed} |`;
}

console.log(`restart gap: ${machine()}\n`);
console.log('| sockets | requests answered 200 | requests refused or reset |\n|---|---|---|');
console.log(await measure('socket-activated'));
console.log(await measure('bound by tsgid'));
