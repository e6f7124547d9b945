/**
 * The process model with real processes: a connection waits while an app has no live worker,
 * SIGTERM drains in-flight requests before exiting 0, and SIGKILL of the arbiter leaves no orphan.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, get, pidAlive, readyPids, startDaemon } from './helpers/daemon.js';
import { waitFor } from './helpers/wait.js';
import { untilOutput } from './helpers/output.js';

const D = join(FIXTURES, 'daemon');

describe('process model', () => {
  it('serves a connection made while the app has zero live workers once one is back', async () => {
    const d = await startDaemon(`
apps:
  solo:
    app: ${D}/slow-boot.mjs
    listen: "127.0.0.1:0"
    workers: 1
    env: { BOOT_DELAY_MS: "600" }
`);
    try {
      const url = await d.url('solo');
      const [pid] = readyPids(await d.status(), 'solo') as [number];
      process.kill(pid, 'SIGKILL');
      // wait until the arbiter has reaped it: from here the app has no ready worker
      const gap = await d.waitFor('no ready worker', (s) => readyPids(s, 'solo').length === 0);
      assert.equal(gap.apps[0]!.ready, 0);
      const started = Date.now();
      const r = await get(url);
      assert.equal(r.status, 200);
      assert.match(r.body, /^slow-boot \d+$/);
      assert.notEqual(r.body, `slow-boot ${pid}`, 'answered by the replacement');
      // the request really waited for the new worker's boot instead of being refused
      assert.ok(Date.now() - started >= 300, 'the connection was held while the replacement booted');
      const s = await d.app('solo');
      assert.equal(s.state, 'running');
    } finally {
      await d.stop();
    }
  });

  it('on SIGTERM finishes in-flight requests, then exits 0', async () => {
    const d = await startDaemon(`
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
`);
    const url = await d.url('web');
    const pids = readyPids(await d.status(), 'web');
    const slow = get(`${url}/slow?ms=2500`);
    // the request is in flight once a worker's heartbeat (every second) counts it
    await d.waitFor('request in flight', (s) => s.apps[0]!.workers.some((w) => w.inflight > 0), 5000);
    const exit = d.stop('SIGTERM');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.match(r.body, /^slow \d+$/);
    assert.deepEqual(await exit, { code: 0, signal: null });
    for (const pid of pids) assert.equal(pidAlive(pid), false, `worker ${pid} is gone`);
    // and the socket is closed: new connections are refused
    await assert.rejects(get(url), /ECONNREFUSED/);
  });

  it('leaves no orphaned workers when the arbiter is SIGKILLed', async () => {
    const d = await startDaemon(`
apps:
  a:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
  b:
    app: ${D}/fetch-app.ts
    listen: "127.0.0.1:0"
    workers: 1
`);
    const s = await d.status();
    const pids = s.apps.flatMap((a) => a.workers.map((w) => w.pid!));
    assert.equal(pids.length, 3);
    await d.stop('SIGKILL');
    // workers notice the lost IPC channel and exit after at most 1.5 s of draining; the bound
    // here only keeps a broken build from hanging the suite
    await waitFor(() => !pids.some(pidAlive), { what: 'the orphaned workers to exit', timeout: 10_000 }).catch(() => {});
    const left = pids.filter(pidAlive);
    assert.deepEqual(left, [], `orphans left: ${left.join(', ')}`);
  });

  it('refuses a second daemon on the same address with a clear message', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const d = await startDaemon(
        `
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:${port}"
`,
        { wait: false },
      );
      const { code } = await d.exited;
      assert.equal(code, 2);
      await untilOutput(d, new RegExp(`apps\\.web\\.listen: 127\\.0\\.0\\.1:${port} is already in use`));
      assert.doesNotMatch(d.output(), /at .*\.js:\d+/, 'no stack trace');
    } finally {
      blocker.close();
    }
  });
});
