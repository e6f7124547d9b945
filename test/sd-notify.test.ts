/**
 * sd_notify, received for real: systemd-socket-activate makes the NOTIFY_SOCKET (a unix datagram
 * socket, which Node cannot open) and hands it to a receiver that prints each datagram. tsgid,
 * run with NOTIFY_SOCKET pointing there, says READY=1 once its apps are up, RELOADING=1 then
 * READY=1 around a SIGHUP, STOPPING=1 on SIGTERM; its workers never see NOTIFY_SOCKET.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import readline from 'node:readline';
import { describe, it } from 'node:test';
import { silentLogger } from '../daemon/log.js';
import { sdNotifier } from '../daemon/os/sd-notify.js';
import { FIXTURES, get, startDaemon, tempDir } from './helpers/daemon.js';
import { track } from './helpers/procs.js';
import { needs, SOCKET_ACTIVATE_TOOL, SYSTEMD_NOTIFY_TOOL } from './helpers/tools.js';
import { scaled } from './helpers/wait.js';

const S = join(FIXTURES, 'systemd');

describe('sd_notify', () => {
  it('is a no-op without NOTIFY_SOCKET, and warns once, never throws, when systemd-notify is missing', async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const none: NodeJS.ProcessEnv = {};
    await sdNotifier(log, none, '/nonexistent/systemd-notify').notify('READY=1');
    assert.deepEqual(warnings, []);
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/nowhere.sock' };
    const n = sdNotifier(log, env, '/nonexistent/systemd-notify');
    assert.deepEqual(env, {}, 'removed, so the workers do not inherit it');
    await n.notify('READY=1');
    await n.notify('STOPPING=1');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /cannot be run/);
  });

  it('sends READY, RELOADING then READY, and STOPPING to NOTIFY_SOCKET', { ...needs(SOCKET_ACTIVATE_TOOL, SYSTEMD_NOTIFY_TOOL), timeout: scaled(90_000) }, async () => {
    const dir = tempDir();
    const notifySocket = join(dir, 'notify.sock');
    const recv = track(spawn('/usr/bin/systemd-socket-activate', ['--datagram', '-l', notifySocket, '--', process.execPath, join(S, 'notify-recv.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const messages: string[] = [];
    const waiters: Array<() => void> = [];
    readline.createInterface({ input: recv.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as string;
      // systemd-notify's BARRIER=1 only waits until the message before it has been read
      if (m !== 'BARRIER=1') messages.push(m);
      for (const w of waiters.splice(0)) w();
    });
    /** Resolves once `count` messages have arrived. */
    const received = (count: number): Promise<string[]> =>
      new Promise((resolve) => {
        const check = (): void => (messages.length >= count ? resolve(messages.slice(0, count)) : void waiters.push(check));
        check();
      });
    await new Promise<void>((resolve) => {
      let err = '';
      recv.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
        if (err.includes('Listening on')) resolve();
      });
    });
    try {
      const d = await startDaemon(`
apps:
  web:
    app: ${S}/env-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
`, { dir, env: { NOTIFY_SOCKET: notifySocket } });
      const [ready] = await received(1);
      assert.equal(ready, 'READY=1\nSTATUS=1 app(s) ready');
      const served = JSON.parse((await get(await d.url('web'))).body) as { NOTIFY_SOCKET: string | null };
      assert.equal(served.NOTIFY_SOCKET, null, 'workers do not inherit NOTIFY_SOCKET');

      d.proc.kill('SIGHUP');
      const [, reloading, readyAgain] = await received(3);
      assert.match(reloading!, /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
      assert.equal(readyAgain, 'READY=1\nSTATUS=1 app(s) ready');

      assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
      const all = await received(4);
      assert.equal(all[3], 'STOPPING=1');
      assert.equal(messages.length, 4, d.output());
    } finally {
      recv.kill('SIGTERM');
    }
  });
});
