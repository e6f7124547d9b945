/**
 * One real tsgid hosting several apps side by side: every interface kind, a TypeScript entry,
 * mounts, a unix socket; then a crash replaced while the sibling serves, a crash loop marked
 * failed, and a boot failure that does not loop — other apps untouched throughout.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const APPS = join(FIXTURES, 'apps');
const D = join(FIXTURES, 'daemon');

describe('tsgid hosts several apps side by side', () => {
  let d: Daemon;

  before(async () => {
    d = await startDaemon(`
apps:
  plain:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
    env: { GREETING: "from-env" }
  typed:
    app: ${D}/fetch-app.ts
    listen: ["127.0.0.1:0", "unix:typed.sock"]
  express:
    app: ${APPS}/express-app.mjs
    listen: "127.0.0.1:0"
  koa:
    app: ${APPS}/koa-app.mjs
    listen: "127.0.0.1:0"
  fastify:
    app: ${APPS}/fastify-app.mjs
    listen: "127.0.0.1:0"
  hono:
    app: ${APPS}/hono-app.mjs
    listen: "127.0.0.1:0"
  site:
    cwd: ${APPS}
    mounts: { "/api": "./hono-app.mjs", "/": "./express-app.mjs" }
    listen: "127.0.0.1:0"
  looping:
    app: ${D}/crash-after.mjs
    listen: "127.0.0.1:0"
    restart: { backoff_initial: 10ms, backoff_max: 50ms, max_failures: 3, window: 60s }
  broken:
    app: ${D}/import-throws.mjs
    listen: "127.0.0.1:0"
`);
  });

  after(async () => {
    await d?.stop();
  });

  it('serves a plain node listener with its env', async () => {
    const r = await get(await d.url('plain'));
    assert.equal(r.status, 200);
    assert.match(r.body, /^node \d+ from-env$/);
  });

  it('serves a TypeScript fetch handler on TCP and on its unix socket', async () => {
    const viaTcp = await get(`${await d.url('typed')}/x`);
    assert.equal(viaTcp.status, 200);
    assert.deepEqual({ ...JSON.parse(viaTcp.body), pid: 0 }, { kind: 'fetch-ts', path: '/x', pid: 0, up: true });
    const viaUnix = await get('http://localhost/y', { socketPath: join(d.dir, 'typed.sock') });
    assert.equal(JSON.parse(viaUnix.body).path, '/y');
  });

  it('hosts Express, Koa, Fastify and Hono apps unmodified', async () => {
    assert.equal((await get(await d.url('express'))).body, 'Hello World!');
    assert.equal((await get(`${await d.url('koa')}/k`)).body, 'Hello World from Koa at /k');
    assert.deepEqual(JSON.parse((await get(await d.url('fastify'))).body), { hello: 'world' });
    const posted = await get(`${await d.url('fastify')}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(posted.status, 201);
    assert.deepEqual(JSON.parse(posted.body), { received: { a: 1 } });
    assert.deepEqual(JSON.parse((await get(`${await d.url('hono')}/users/7?q=z`)).body), { id: '7', q: 'z' });
  });

  it('routes mounts by prefix, stripping it and passing it on as the script name', async () => {
    const base = await d.url('site');
    assert.deepEqual(JSON.parse((await get(`${base}/api/users/3`)).body), { id: '3', q: null });
    const where = JSON.parse((await get(`${base}/where?z=1`)).body);
    assert.equal(where.url, '/where?z=1');
  });

  it('spreads connections over the workers of a pool', async () => {
    const url = await d.url('plain');
    const pids = new Set<string>();
    for (let i = 0; i < 6; i++) pids.add(String((await get(url)).headers['x-pid']));
    assert.equal(pids.size, 2, `expected both workers to answer, got ${[...pids].join(',')}`);
  });

  it('replaces a SIGKILLed worker while its sibling keeps serving', async () => {
    const before = readyPids(await d.status(), 'plain');
    assert.equal(before.length, 2);
    const [victim, survivor] = before as [number, number];
    const url = await d.url('plain');
    process.kill(victim, 'SIGKILL');
    // every request made while the victim is gone and its replacement boots is answered
    const answered: number[] = [];
    for (let i = 0; i < 10; i++) answered.push((await get(url)).status);
    assert.deepEqual(answered, new Array(10).fill(200));
    const s = await d.waitFor('a replacement worker', (st) => {
      const pids = readyPids(st, 'plain');
      return pids.length === 2 && !pids.includes(victim);
    });
    const after = readyPids(s, 'plain');
    assert.ok(after.includes(survivor), 'the sibling was left alone');
    const app = s.apps.find((a) => a.name === 'plain')!;
    assert.equal(app.state, 'running');
    assert.equal(app.last_exit?.signal, 'SIGKILL');
    assert.equal(app.restarts, 1);
  });

  it('marks a crash-looping app failed and stops spawning it', async () => {
    const s = await d.waitFor('looping failed', (st) => st.apps.find((a) => a.name === 'looping')?.state === 'failed');
    const looping = s.apps.find((a) => a.name === 'looping')!;
    assert.match(looping.failed_reason ?? '', /crash loop: 3 failures/);
    assert.equal(looping.restarts, 3);
    // nothing respawns after the verdict
    const again = await d.app('looping');
    assert.equal(again.workers.length, 0);
    assert.equal(again.restarts, 3);
  });

  it('shows a boot failure with its error instead of looping', async () => {
    const broken = await d.app('broken');
    assert.equal(broken.state, 'failed');
    assert.match(broken.last_boot_error ?? '', /database URL missing/);
    assert.equal(broken.workers.length, 0);
    assert.equal(broken.restarts, 1, 'one attempt, no loop');
    await untilOutput(d, /\[broken:1\]|broken: worker 1 failed to boot/);
  });

  it('gives API users the code of a boot failure, in last_boot_error and the error envelope', { timeout: 60_000 }, async () => {
    assert.match((await d.app('broken')).last_boot_error ?? '', /^TSGI_ERR_APP_BOOT: .*import-throws\.mjs/);
    const added = await d.api<{ error: { code: string; message: string } }>('POST', '/v1/apps', { name: 'misfit', app: `${APPS}/boot/fits-nothing.mjs`, listen: '127.0.0.1:0' });
    try {
      assert.equal(added.status, 422);
      assert.equal(added.body.error.code, 'TSGI_ERR_APP_BOOT');
      assert.match(added.body.error.message, /TSGI_ERR_APP_INTERFACE: .*fits-nothing\.mjs/);
      const misfit = await d.app('misfit');
      assert.equal(misfit.state, 'failed');
      assert.match(misfit.last_boot_error ?? '', /^TSGI_ERR_APP_INTERFACE: .*fits-nothing\.mjs/);
    } finally {
      await d.api('DELETE', '/v1/apps/misfit');
    }
  });

  it('keeps every other app running through all of that', async () => {
    const s = await d.status();
    for (const a of s.apps.filter((x) => !['looping', 'broken'].includes(x.name))) {
      assert.equal(a.state, 'running', `${a.name} is ${a.state}`);
    }
    assert.equal((await get(await d.url('hono'))).body, 'Hello Hono!');
  });
});
