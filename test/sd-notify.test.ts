/**
 * sd_notify, received for real: systemd-socket-activate makes the NOTIFY_SOCKET (a unix datagram
 * socket, which Node cannot open) and hands it to a receiver that prints each datagram. tsgid,
 * run with NOTIFY_SOCKET pointing there, says READY=1 once its apps are up, RELOADING=1 then
 * READY=1 around a SIGHUP, STOPPING=1 on SIGTERM, WATCHDOG=1 under WATCHDOG_USEC only; its workers
 * never see NOTIFY_SOCKET or WATCHDOG_USEC.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import readline from 'node:readline';
import { describe, it } from 'node:test';
import { silentLogger } from '../daemon/log.js';
import { sdNotifier } from '../daemon/os/sd-notify.js';
import { FIXTURES, get, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
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

  it('sends READY, RELOADING then READY, and STOPPING to NOTIFY_SOCKET, and no WATCHDOG=1 without WATCHDOG_USEC', { ...needs(SOCKET_ACTIVATE_TOOL, SYSTEMD_NOTIFY_TOOL), timeout: scaled(120_000) }, async () => {
    await underNotify('    workers: 2\n', {}, async (d, recv) => {
      const [ready] = await recv.received(1);
      assert.equal(ready, 'READY=1\nSTATUS=1 app(s) ready');
      const served = JSON.parse((await get(await d.url('web'))).body) as { NOTIFY_SOCKET: string | null };
      assert.equal(served.NOTIFY_SOCKET, null, 'workers do not inherit NOTIFY_SOCKET');

      d.proc.kill('SIGHUP');
      const [, reloading, readyAgain] = await recv.received(3);
      assert.match(reloading!, /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
      assert.equal(readyAgain, 'READY=1\nSTATUS=1 app(s) ready');

      assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
      const all = await recv.received(4);
      assert.equal(all[3], 'STOPPING=1');
      // over a daemon's life of several idle ticks: not one WATCHDOG=1
      assert.equal(recv.messages.length, 4, d.output());
    });
  });

  it('pings WATCHDOG=1 from the loop every WATCHDOG_USEC/2, and the workers do not inherit WATCHDOG_USEC', { ...needs(SOCKET_ACTIVATE_TOOL, SYSTEMD_NOTIFY_TOOL), timeout: scaled(120_000) }, async () => {
    // 1 s: a ping every 500 ms, three of them within a few idle ticks
    await underNotify('', { WATCHDOG_USEC: '1000000' }, async (d, recv) => {
      await recv.received((m) => m.filter((x) => x === 'WATCHDOG=1').length >= 3);
      const served = JSON.parse((await get(await d.url('web'))).body) as { WATCHDOG_USEC: string | null };
      assert.equal(served.WATCHDOG_USEC, null, 'workers do not inherit WATCHDOG_USEC');
      assert.ok(recv.messages.includes('READY=1\nSTATUS=1 app(s) ready'), recv.messages.join(' | '));
      assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
    });
  });

  it('sends no WATCHDOG=1 when WATCHDOG_PID names another process', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/nowhere.sock', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' };
    assert.equal(sdNotifier(silentLogger, env, 'systemd-notify', 4242).watchdogMs, undefined);
    assert.deepEqual(env, {}, 'all three removed, so the workers do not inherit them');
    assert.equal(sdNotifier(silentLogger, { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 'systemd-notify', 4242).watchdogMs, 30_000);
    assert.equal(sdNotifier(silentLogger, { NOTIFY_SOCKET: '/x' }, 'systemd-notify', 4242).watchdogMs, undefined);
  });
});

/**
 * A NOTIFY_SOCKET: systemd-socket-activate makes the datagram socket and hands it to a receiver
 * that prints each datagram as a JSON line.
 */
/**
 * tsgid serving the env-app (with `settings`, YAML lines) under NOTIFY_SOCKET, with `env`, to a
 * fresh receiver; both are stopped once `run` is done, whatever it did.
 */
async function underNotify(settings: string, env: NodeJS.ProcessEnv, run: (d: Daemon, recv: Receiver) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const recv = await notifyReceiver(dir);
  let d: Daemon | undefined;
  try {
    d = await startDaemon(`\napps:\n  web:\n    app: ${S}/env-app.mjs\n    listen: "127.0.0.1:0"\n${settings}`, { dir, env: { NOTIFY_SOCKET: recv.socket, ...env } });
    await run(d, recv);
  } finally {
    await d?.stop('SIGKILL');
    recv.stop();
  }
}

type Receiver = Awaited<ReturnType<typeof notifyReceiver>>;

async function notifyReceiver(dir: string): Promise<{
  socket: string;
  messages: string[];
  /** resolves once `count` messages have arrived (or `until` says so) */
  received(until: number | ((m: string[]) => boolean)): Promise<string[]>;
  stop(): void;
}> {
  const socket = join(dir, 'notify.sock');
  const recv = track(spawn('/usr/bin/systemd-socket-activate', ['--datagram', '-l', socket, '--', process.execPath, join(S, 'notify-recv.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: recv.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as string;
    // systemd-notify's BARRIER=1 only waits until the message before it has been read
    if (m !== 'BARRIER=1') messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    recv.once('exit', () => reject(new Error(`systemd-socket-activate exited: ${err}`)));
    recv.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('Listening on')) resolve();
    });
  });
  return {
    socket,
    messages,
    received: (until) =>
      new Promise((resolve) => {
        const done = typeof until === 'number' ? (m: string[]) => m.length >= until : until;
        const check = (): void => (done(messages) ? resolve(messages.slice(0, typeof until === 'number' ? until : undefined)) : void waiters.push(check));
        check();
      }),
    stop: () => void recv.kill('SIGTERM'),
  };
}
