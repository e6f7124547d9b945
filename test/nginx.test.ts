/**
 * nginx in front, the classic WSGI deployment, on the nginx configuration docs/deploy.md shows (read
 * out of it by helpers/nginx.ts): nginx proxies to `shop`, a tsgid app on a unix socket, and to
 * `blog` on TCP, each an upstream with kept-alive connections. Requests reach both; Express, Koa,
 * Fastify and Hono apps, added as the doc adds blog, answer through it; and rolling reloads under a
 * keep-alive load through nginx produce no 502 and no failed request.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, get, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { keepAliveLoad } from './helpers/load.js';
import { docNginxConf, freePort, startNginx, type Nginx } from './helpers/nginx.js';
import { NGINX_TOOL, needs } from './helpers/tools.js';

const FRAMEWORKS = {
  express: { file: 'express-app.mjs', body: 'Hello World!' },
  koa: { file: 'koa-app.mjs', body: 'Hello World from Koa at /' },
  fastify: { file: 'fastify-app.mjs', body: '{"hello":"world"}' },
  hono: { file: 'hono-app.mjs', body: 'Hello Hono!' },
} as const;

function deploy(dir: string, version: string): void {
  const file = join(dir, 'versioned.mjs');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
}

describe('nginx in front of tsgid', needs(NGINX_TOOL), () => {
  let d: Daemon;
  let nginx: Nginx;
  let blogPort: number;

  before(async () => {
    const dir = tempDir('tsgi-nginx-');
    blogPort = await freePort();
    // the framework apps import their framework: they are served from the fixtures folder, where
    // node_modules resolves, not copied
    const frameworks = Object.entries(FRAMEWORKS)
      .map(([name, f]) => `  ${name}:\n    app: ${join(FIXTURES, 'apps', f.file)}\n    listen: "unix:${name}.sock"\n    workers: 1\n`)
      .join('');
    d = await startDaemon(
      `apps:
  shop:
    app: ./versioned.mjs
    listen: "unix:shop.sock"
    workers: 2
  blog:
    app: ${join(FIXTURES, 'daemon/node-app.mjs')}
    listen: "127.0.0.1:${blogPort}"
    workers: 2
${frameworks}`,
      { dir, fixtures: ['daemon/versioned.mjs'] },
    );
    const s = await d.status();
    assert.deepEqual(s.apps.filter((a) => a.state !== 'running').map((a) => a.name), [], 'every app booted');
    nginx = await startNginx(join(dir, 'nginx'), {
      shop: join(dir, 'shop.sock'),
      blog: blogPort,
      more: Object.keys(FRAMEWORKS).map((name) => ({ name, server: `unix:${join(dir, `${name}.sock`)}` })),
    });
  });

  after(async () => {
    await nginx?.stop();
    await d?.stop();
  });

  it('proxies to an app on a unix socket and to an app on TCP', async () => {
    const shop = await get(`${nginx.base}/`);
    assert.equal(shop.status, 200);
    assert.match(shop.body, /^v1 \d+$/);
    assert.match(String(shop.headers.server), /^nginx/, 'the answer came through nginx');
    const blog = await get(`${nginx.base}/blog/hello`);
    assert.equal(blog.status, 200);
    assert.match(blog.body, /^node \d+$/);
    const workers = (await d.app('blog')).workers.map((w) => String(w.pid));
    assert.ok(workers.includes(blog.headers['x-pid'] as string), `a blog worker answered (${blog.headers['x-pid']} in ${workers})`);
  });

  it('runs the nginx configuration of docs/deploy.md, changed only in its addresses and writable paths', () => {
    const ran = readFileSync(nginx.conf, 'utf8');
    // every line of the doc's block, in its order, is in what nginx ran, but for the three addresses
    const doc = docNginxConf().split('\n').filter((l) => !/server unix:\/run\/tsgi\/shop\.sock;|server 127\.0\.0\.1:8001;|listen 80;/.test(l));
    let at = 0;
    const lines = ran.split('\n');
    for (const line of doc) {
      const found = lines.indexOf(line, at);
      assert.ok(found >= 0, `the doc's line ${JSON.stringify(line)} is in the config nginx ran, in order`);
      at = found + 1;
    }
    assert.ok(ran.includes(`server unix:${join(d.dir, 'shop.sock')};`), 'shop is where the test runs it');
    assert.ok(ran.includes(`server 127.0.0.1:${blogPort};`), 'blog too');
  });

  for (const [name, f] of Object.entries(FRAMEWORKS)) {
    it(`serves a ${name} app through nginx`, async () => {
      const r = await get(`${nginx.base}/${name}/`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, f.body);
    });
  }

  it('drops no request and sends no 502 across rolling reloads of both apps under a keep-alive load through nginx', async (t) => {
    const shopLoad = keepAliveLoad(`${nginx.base}/`, 10);
    const blogLoad = keepAliveLoad(`${nginx.base}/blog/`, 10);
    const before = { shop: (await d.app('shop')).generation, blog: (await d.app('blog')).generation };
    const reloads = 4;
    for (let i = 1; i <= reloads; i++) {
      deploy(d.dir, `v${i + 1}`);
      const [w, t] = await Promise.all([
        d.api<{ app: { generation: number } }>('POST', '/v1/apps/shop/reload'),
        d.api<{ app: { generation: number } }>('POST', '/v1/apps/blog/reload'),
      ]);
      assert.equal(w.status, 200);
      assert.equal(t.status, 200);
      // keep the load going across the drain of the old workers too
      await d.waitFor('old workers gone', (s) =>
        s.apps.find((a) => a.name === 'shop')!.workers.every((x) => x.generation === w.body.app.generation) &&
        s.apps.find((a) => a.name === 'blog')!.workers.every((x) => x.generation === t.body.app.generation),
      );
    }
    const [shop, blog] = await Promise.all([shopLoad.stop(), blogLoad.stop()]);
    const upstreamErrors = nginx.errorLog().split('\n').filter((l) => l.includes('[error]'));
    t.diagnostic(`through nginx: shop ${shop.ok} ok, blog ${blog.ok} ok; nginx logged ${upstreamErrors.length} upstream errors (retried)${upstreamErrors.length ? `, first: ${upstreamErrors[0]}` : ''}`);
    assert.deepEqual(shop.errors, [], 'shop: no failed request, no 502');
    assert.deepEqual(blog.errors, [], 'blog: no failed request, no 502');
    assert.ok(shop.ok > 50 && blog.ok > 50, `the load kept going (shop ${shop.ok}, blog ${blog.ok})`);
    assert.equal((await d.app('shop')).generation, before.shop + reloads);
    assert.equal((await d.app('blog')).generation, before.blog + reloads);
    assert.ok(shop.pids.length >= 2 * reloads, `every generation of shop workers answered (${shop.pids.length} pids)`);
    assert.ok(blog.pids.length >= 2 * reloads, `every generation of blog workers answered (${blog.pids.length} pids)`);
    assert.match((await get(`${nginx.base}/`)).body, new RegExp(`^v${reloads + 1} `));
  });
});
