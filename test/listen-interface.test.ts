/**
 * The `listen` interface with real processes and real frameworks: apps that start their own server
 * (Express's `app.listen(PORT)`, a NestJS main.ts) run unmodified, through rolling reloads and
 * max_requests recycling with no failed request; apps that listen twice, on another address, or
 * fail in their async boot get a coded boot error naming the file, and other apps carry on.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, FIXTURES, get, startDaemon } from './helpers/daemon.js';
import { keepAliveLoad } from './helpers/load.js';
import { freePort } from './helpers/nginx.js';
import { untilOutput } from './helpers/output.js';

const L = join(FIXTURES, 'listen');


describe('apps that call listen()', () => {
  it('serves an Express app.listen(PORT) through reloads and max_requests with no failed request', { timeout: 180_000 }, async () => {
    const d = await startDaemon(`
apps:
  web:
    app: ${L}/express-listen.cjs
    listen: "127.0.0.1:0"
    workers: 2
    max_requests: 150
    max_requests_jitter: 50
    env: { PORT: "3000" }
`);
    try {
      const url = await d.url('web');
      // the app's listen() callback ran, and its server reports the address it asked for
      await untilOutput(d, /listening on \{"address":"127\.0\.0\.1","family":"IPv4","port":3000\}/);
      assert.deepEqual(JSON.parse((await get(`${url}/address`)).body), { address: '127.0.0.1', family: 'IPv4', port: 3000 });
      const load = keepAliveLoad(url, 10);
      for (let i = 0; i < 3; i++) {
        const r = await d.api<{ app: { generation: number } }>('POST', '/v1/apps/web/reload');
        assert.equal(r.status, 200);
        await d.waitFor('old workers gone', (s) => s.apps[0]!.workers.every((w) => w.generation === r.body.app.generation), 60_000);
      }
      // and recycling by max_requests: more pids than three reloads of two workers give
      await d.waitFor('recycled by max_requests', () => load.result.pids.length >= 10 || load.result.failed > 0, 120_000);
      const result = await load.stop();
      assert.deepEqual(result.errors, []);
      assert.equal(result.failed, 0);
      assert.ok(result.pids.length >= 10, `requests were answered by recycled workers too (${result.pids.length} pids)`);
      await untilOutput(d, /recycling worker \d+ \(pid \d+\): served/);
      assert.equal((await d.app('web')).restarts, 0, 'no worker crashed');
    } finally {
      await d.stop();
    }
  });

  it('serves a NestJS main.ts that awaits app.listen()', { timeout: 120_000 }, async () => {
    const d = await startDaemon(`
apps:
  nest:
    app: ./main.ts
    cwd: ${L}/nest
    listen: "127.0.0.1:0"
    workers: 2
    boot_timeout: 60s
    env: { PORT: "3000" }
`, { timeout: 90_000 });
    try {
      const s = await d.app('nest');
      assert.equal(s.state, 'running', d.output());
      const url = await d.url('nest');
      assert.match((await get(url)).body, /^nest \d+$/);
      const item = await get(`${url}/items/7`);
      assert.equal(item.status, 200);
      assert.deepEqual(JSON.parse(item.body), { id: '7' });
      assert.equal((await get(`${url}/nothing`)).status, 404);
      await untilOutput(d, /nest listening at http:\/\/127\.0\.0\.1:3000/);
      const load = keepAliveLoad(url, 5);
      const r = await d.api<{ app: { generation: number } }>('POST', '/v1/apps/nest/reload');
      assert.equal(r.status, 200);
      await d.waitFor('old workers gone', (st) => st.apps[0]!.workers.every((w) => w.generation === r.body.app.generation), 90_000);
      const result = await load.stop();
      assert.deepEqual(result.errors, []);
      assert.equal(result.failed, 0);
    } finally {
      await d.stop();
    }
  });

  describe('bad input', () => {
    let d: Daemon | undefined;
    let sidePort = 0;
    before(async () => {
      sidePort = await freePort();
      d = await startDaemon(`
apps:
  admin:
    app: ${L}/admin-port.cjs
    listen: "127.0.0.1:0"
    restart: { retry_failed: 0 }
  wrong:
    app: ${L}/wrong-port.cjs
    listen: ["127.0.0.1:0", "unix:wrong.sock"]
    restart: { retry_failed: 0 }
  throws:
    app: ${L}/boot-throws.mjs
    listen: "127.0.0.1:0"
    restart: { retry_failed: 0 }
  nothing:
    app: ${L}/listens-nothing.mjs
    listen: "127.0.0.1:0"
    boot_timeout: 10s
    restart: { retry_failed: 0 }
  both:
    app: ${L}/exports-and-listens.mjs
    listen: "127.0.0.1:0"
    env: { SIDE_PORT: "${sidePort}" }
  good:
    app: ${L}/express-listen.cjs
    listen: "127.0.0.1:0"
`, { timeout: 60_000 });
    });
    after(async () => {
      await d?.stop();
    });

    it('refuses a second listen() at boot, naming the file and line', { timeout: 60_000 }, async () => {
      const s = await d!.app('admin');
      assert.equal(s.state, 'failed');
      assert.match(s.last_boot_error ?? '', /^TSGI_ERR_APP_LISTEN: .*admin-port\.cjs: a second listen\(9464\) at .*admin-port\.cjs:5:\d+.*extra_listen: bind/);
    });

    it('refuses a listen() on a port that is not one of the app\'s several addresses', { timeout: 60_000 }, async () => {
      const s = await d!.app('wrong');
      assert.equal(s.state, 'failed');
      assert.match(s.last_boot_error ?? '', /^TSGI_ERR_APP_LISTEN: .*listen\(4999\) at .*wrong-port\.cjs:3:\d+ is not one of this app's addresses/);
    });

    it('reports an async boot that rejects before listen() as the boot error, with its stack', { timeout: 60_000 }, async () => {
      const s = await d!.app('throws');
      assert.equal(s.state, 'failed');
      assert.match(s.last_boot_error ?? '', /^TSGI_ERR_APP_BOOT: .*boot-throws\.mjs: the app failed before it called listen\(\): the database is not there/);
      assert.match(d!.output(), /boot-throws\.mjs:6/);
    });

    it('fails a module that neither exports an app nor listens, at boot_timeout', { timeout: 60_000 }, async () => {
      const s = await d!.app('nothing');
      assert.equal(s.state, 'failed');
      assert.match(s.last_boot_error ?? '', /^TSGI_ERR_APP_INTERFACE: .*listens-nothing\.mjs: the module exports nothing servable, and no server called listen\(\) within boot_timeout/);
    });

    it('serves the export of a module that also listens, whose listen() binds for real as before', { timeout: 60_000 }, async () => {
      assert.equal((await get(await d!.url('both'))).body, 'export\n');
      assert.equal((await get(`http://127.0.0.1:${sidePort}/`)).body, 'side\n');
    });

    it('leaves the other apps serving', { timeout: 60_000 }, async () => {
      assert.equal((await d!.app('good')).state, 'running');
      assert.match((await get(await d!.url('good'))).body, /^express \d+/);
    });
  });
});
