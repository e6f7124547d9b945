/**
 * nginx in front, the classic WSGI deployment (docs/deploy.md): nginx proxies to one tsgid app on a
 * unix socket and another on TCP, each an upstream with kept-alive connections. Requests reach both,
 * Express, Koa, Fastify and Hono apps answer through it, and rolling reloads under a keep-alive load
 * through nginx produce no 502 and no failed request.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, get, startDaemon, tempDir, type Daemon } from './helpers/daemon.js';
import { keepAliveLoad } from './helpers/load.js';
import { freePort, startNginx, type Nginx } from './helpers/nginx.js';

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

describe('nginx in front of tsgid', () => {
  let d: Daemon;
  let nginx: Nginx;
  let tcpPort: number;

  before(async () => {
    const dir = tempDir('tsgi-nginx-');
    tcpPort = await freePort();
    // the framework apps import their framework: they are served from the fixtures folder, where
    // node_modules resolves, not copied
    const frameworks = Object.entries(FRAMEWORKS)
      .map(([name, f]) => `  ${name}:\n    app: ${join(FIXTURES, 'apps', f.file)}\n    listen: "unix:${name}.sock"\n    workers: 1\n`)
      .join('');
    d = await startDaemon(
      `apps:
  web:
    app: ./versioned.mjs
    listen: "unix:web.sock"
    workers: 2
  tcp:
    app: ${join(FIXTURES, 'daemon/node-app.mjs')}
    listen: "127.0.0.1:${tcpPort}"
    workers: 2
${frameworks}`,
      { dir, fixtures: ['daemon/versioned.mjs'] },
    );
    const s = await d.status();
    assert.deepEqual(s.apps.filter((a) => a.state !== 'running').map((a) => a.name), [], 'every app booted');
    nginx = await startNginx(join(dir, 'nginx'), [
      { name: 'web', server: `unix:${join(dir, 'web.sock')}` },
      { name: 'tcp', server: `127.0.0.1:${tcpPort}` },
      ...Object.keys(FRAMEWORKS).map((name) => ({ name, server: `unix:${join(dir, `${name}.sock`)}` })),
    ]);
  });

  after(async () => {
    await nginx?.stop();
    await d?.stop();
  });

  it('proxies to an app on a unix socket and to an app on TCP', async () => {
    const web = await get(`${nginx.base}/web/`);
    assert.equal(web.status, 200);
    assert.match(web.body, /^v1 \d+$/);
    assert.match(String(web.headers.server), /^nginx/, 'the answer came through nginx');
    const tcp = await get(`${nginx.base}/tcp/hello`);
    assert.equal(tcp.status, 200);
    assert.match(tcp.body, /^node \d+$/);
    const workers = (await d.app('tcp')).workers.map((w) => String(w.pid));
    assert.ok(workers.includes(tcp.headers['x-pid'] as string), `a tcp worker answered (${tcp.headers['x-pid']} in ${workers})`);
  });

  for (const [name, f] of Object.entries(FRAMEWORKS)) {
    it(`serves a ${name} app through nginx`, async () => {
      const r = await get(`${nginx.base}/${name}/`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, f.body);
    });
  }

  it('drops no request and sends no 502 across rolling reloads of both apps under a keep-alive load through nginx', async (t) => {
    const webLoad = keepAliveLoad(`${nginx.base}/web/`, 10);
    const tcpLoad = keepAliveLoad(`${nginx.base}/tcp/`, 10);
    const before = { web: (await d.app('web')).generation, tcp: (await d.app('tcp')).generation };
    const reloads = 4;
    for (let i = 1; i <= reloads; i++) {
      deploy(d.dir, `v${i + 1}`);
      const [w, t] = await Promise.all([
        d.api<{ app: { generation: number } }>('POST', '/v1/apps/web/reload'),
        d.api<{ app: { generation: number } }>('POST', '/v1/apps/tcp/reload'),
      ]);
      assert.equal(w.status, 200);
      assert.equal(t.status, 200);
      // keep the load going across the drain of the old workers too
      await d.waitFor('old workers gone', (s) =>
        s.apps.find((a) => a.name === 'web')!.workers.every((x) => x.generation === w.body.app.generation) &&
        s.apps.find((a) => a.name === 'tcp')!.workers.every((x) => x.generation === t.body.app.generation),
      );
    }
    const [web, tcp] = await Promise.all([webLoad.stop(), tcpLoad.stop()]);
    const upstreamErrors = nginx.errorLog().split('\n').filter((l) => l.includes('[error]'));
    t.diagnostic(`through nginx: web ${web.ok} ok, tcp ${tcp.ok} ok; nginx logged ${upstreamErrors.length} upstream errors (retried)${upstreamErrors.length ? `, first: ${upstreamErrors[0]}` : ''}`);
    assert.deepEqual(web.errors, [], 'web: no failed request, no 502');
    assert.deepEqual(tcp.errors, [], 'tcp: no failed request, no 502');
    assert.ok(web.ok > 50 && tcp.ok > 50, `the load kept going (web ${web.ok}, tcp ${tcp.ok})`);
    assert.equal((await d.app('web')).generation, before.web + reloads);
    assert.equal((await d.app('tcp')).generation, before.tcp + reloads);
    assert.ok(web.pids.length >= 2 * reloads, `every generation of web workers answered (${web.pids.length} pids)`);
    assert.ok(tcp.pids.length >= 2 * reloads, `every generation of tcp workers answered (${tcp.pids.length} pids)`);
    assert.match((await get(`${nginx.base}/web/`)).body, new RegExp(`^v${reloads + 1} `));
  });
});
