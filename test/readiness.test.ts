/**
 * Readiness for load balancers and Kubernetes: GET /v1/ready is 200 only when every app has its
 * target workers ready (a stopped app is fine, a failed one is not), needs no token, and turns 503
 * at once on SIGTERM while the apps keep serving through shutdown_delay; then the drain, which
 * lets a request in flight when the delay ends finish, then exit 0.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readiness, type AppReadiness } from '../daemon/arbiter/readiness.js';
import { FIXTURES, get, pidAlive, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { freePort } from './helpers/nginx.js';
import { waitFor } from './helpers/wait.js';
import { untilOutput } from './helpers/output.js';

const D = join(FIXTURES, 'daemon');

function app(name: string, over: Partial<AppReadiness>): AppReadiness {
  return { name, state: 'running', target: 2, ready: 2, failed_reason: null, ...over };
}

interface NotReady {
  error: { code: string; message: string };
  reasons: string[];
}

/** Poll /v1/ready until it answers `status`; the deadline guards against a hang only. */
async function readyUntil(d: Daemon, status: number): Promise<{ status: number; body: NotReady }> {
  let last: { status: number; body: NotReady } | undefined;
  return waitFor(async () => ((last = await d.api<NotReady>('GET', '/v1/ready')).status === status ? last : undefined), {
    what: `/v1/ready to answer ${status}`,
    detail: () => `last ${last?.status} ${JSON.stringify(last?.body)}\n${d.output()}`,
  });
}

describe('readiness', () => {
  it('counts every app against its target; stopped is fine, failed or short is not, shutting down never is', () => {
    assert.deepEqual(readiness([app('a', {}), app('b', { state: 'stopped', ready: 0 })], false), { ready: true, reasons: [] });
    assert.deepEqual(readiness([], false), { ready: true, reasons: [] });
    assert.deepEqual(readiness([app('a', { state: 'degraded', ready: 1 })], false).reasons, ['a: 1 of 2 workers ready (degraded)']);
    assert.deepEqual(readiness([app('a', { state: 'failed', ready: 0, failed_reason: 'boot failure: boom' })], false).reasons, ['a: failed: boot failure: boom']);
    // a rolling reload keeps the old workers ready: still ready
    assert.equal(readiness([app('a', { state: 'reloading', ready: 3 })], false).ready, true);
    assert.deepEqual(readiness([app('a', {})], true), { ready: false, reasons: ['tsgid is shutting down'] });
  });

  it('GET /v1/ready is 503 naming a failed app, and 200 once that app is stopped on purpose', async () => {
    const d = await startDaemon(`
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
  broken:
    app: ${D}/import-throws.mjs
    listen: "127.0.0.1:0"
`);
    try {
      await d.waitFor('broken failed', (s) => s.apps.find((a) => a.name === 'broken')?.state === 'failed');
      const r = await d.api<NotReady>('GET', '/v1/ready');
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'TSGI_ERR_DAEMON_NOT_READY');
      assert.equal(r.body.reasons.length, 1, JSON.stringify(r.body));
      assert.match(r.body.reasons[0]!, /^broken: failed: /);
      assert.equal((await d.api('GET', '/v1/health')).status, 200, 'still alive');
      assert.equal((await d.api('POST', '/v1/apps/broken/stop')).status, 200);
      assert.deepEqual(await d.api('GET', '/v1/ready'), { status: 200, body: { status: 'ready' } });
    } finally {
      await d.stop();
    }
  });

  it('on TCP, /v1/health and /v1/ready need no token; every other route still does', async () => {
    const port = await freePort();
    const d = await startDaemon(`
admin: { listen: "127.0.0.1:${port}", token: "s3cret-probe-test" }
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
`, { wait: false });
    const base = `http://127.0.0.1:${port}`;
    try {
      let r: Awaited<ReturnType<typeof get>> | undefined;
      await waitFor(async () => (r = await get(`${base}/v1/ready`).catch(() => undefined))?.status === 200, {
        what: `${base}/v1/ready to answer 200`,
        detail: () => `last: ${r?.status} ${r?.body}\n${d.output()}`,
      });
      assert.equal((await get(`${base}/v1/health`)).status, 200);
      assert.equal((await get(`${base}/v1/apps`)).status, 401);
      assert.equal((await get(`${base}/v1/apps`, { headers: { authorization: 'Bearer s3cret-probe-test' } })).status, 200);
    } finally {
      await d.stop();
    }
  });

  it('SIGTERM: ready goes 503 at once while the apps keep serving through shutdown_delay; a second SIGTERM drains now', async () => {
    // an hour: the test, not the clock, ends the delay
    const d = await startDaemon(`
shutdown_delay: 1h
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
    workers: 2
`);
    const url = await d.url('web');
    const pids = readyPids(await d.status(), 'web');
    await readyUntil(d, 200);
    d.proc.kill('SIGTERM');
    const r = await readyUntil(d, 503);
    assert.deepEqual(r.body.reasons, ['tsgid is shutting down']);
    const served = await get(url);
    assert.equal(served.status, 200, 'the app still serves during shutdown_delay');
    assert.ok(pids.includes(Number(served.headers['x-pid'])), 'by the same workers');
    assert.equal((await d.api('GET', '/v1/health')).status, 200, 'alive all along');
    const refused = await d.api<NotReady>('POST', '/v1/apps/web/restart');
    assert.deepEqual([refused.status, refused.body.error.code], [503, 'TSGI_ERR_DAEMON_SHUTTING_DOWN']);
    await untilOutput(d, /draining in 1h|draining in 3600/);
    d.proc.kill('SIGTERM');
    assert.deepEqual(await d.exited, { code: 0, signal: null });
    await untilOutput(d, /skipping the rest of shutdown_delay/);
    for (const pid of pids) assert.equal(pidAlive(pid), false);
    await assert.rejects(get(url), /ECONNREFUSED/);
  });

  it('a request in flight when shutdown_delay ends is finished by the drain: 503 first, served through the delay, then the drain, then exit 0', async () => {
    const d = await startDaemon(`
shutdown_delay: 2s
apps:
  web:
    app: ./hold-app.mjs
    listen: "127.0.0.1:0"
    workers: 1
`, { fixtures: ['drain/hold-app.mjs'] });
    const url = await d.url('web');
    const [pid] = readyPids(await d.status(), 'web') as [number];
    // a request the app answers only when its worker drains (hold-app's onDrain)
    let released = false;
    const held = get(`${url}/hold`).finally(() => (released = true));
    await waitFor(async () => (await get(`${url}/held`)).body === '1', { what: 'the held request to reach the app', detail: () => d.output() });

    d.proc.kill('SIGTERM');
    assert.deepEqual((await readyUntil(d, 503)).body.reasons, ['tsgid is shutting down']);
    // the delay: a new connection is still accepted, and the same worker answers it, while the
    // held request waits (the drain has not begun, or it would have been released)
    const during = await get(`${url}/`);
    assert.deepEqual([during.status, during.body], [200, `hello from ${pid}`]);
    assert.equal(released, false, 'answered before the drain released the held request');
    // the delay ends by itself: the drain lets the in-flight request finish, then tsgid exits
    const finished = await held;
    assert.deepEqual([finished.status, finished.body], [200, 'released']);
    assert.deepEqual(await d.exited, { code: 0, signal: null });
    assert.equal(pidAlive(pid), false);
    await assert.rejects(get(url), /ECONNREFUSED/);
    // and tsgid logged the steps in this order
    const log = d.output();
    const steps = [/SIGTERM: graceful shutdown/, /not ready any more; draining in 2s/, /shutting down: draining workers/, /all workers stopped/].map((re) => {
      const at = log.search(re);
      assert.ok(at >= 0, `logged ${re}:\n${log}`);
      return at;
    });
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b), `in order:\n${log}`);
    assert.doesNotMatch(log, /skipping the rest of shutdown_delay/, 'the delay ended by itself');
  });

  it('a short shutdown_delay ends by itself, then the drain, then exit 0', async () => {
    const d = await startDaemon(`
shutdown_delay: 200ms
apps:
  web:
    app: ${D}/node-app.mjs
    listen: "127.0.0.1:0"
`);
    assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
    await untilOutput(d, /not ready any more; draining in 200ms/);
    await untilOutput(d, /all workers stopped/);
  });
});
