/**
 * GET /v1/events against buildApi() over a REAL Arbiter with real workers, on a real socket: the
 * token, the snapshot, a worker event and the recent restarts after a SIGKILL, stats, no listener
 * left behind by a client that hangs up, and closing the API with a stream still open. Also the
 * dashboard's files: served without a token, with their security headers, not in the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import type { Control } from '../api/control.js';
import { EventHub } from '../api/event-hub.js';
import { eventRoutes } from '../api/routes/events.js';
import { buildApi } from '../api/server.js';
import { Arbiter } from '../daemon/arbiter/arbiter.js';
import type { AppStatus } from '../daemon/pool/app-pool.js';
import { loadConfig } from '../daemon/config/index.js';
import { silentLogger } from '../daemon/log.js';
import { FIXTURES, get, tempDir } from './helpers/daemon.js';
import { openEvents, type SseStream } from './helpers/sse.js';
import { waitFor } from './helpers/wait.js';

const TOKEN = 'events-token-456';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('GET /v1/events and the dashboard files', () => {
  const dir = tempDir('tsgi-events-');
  let arbiter: Arbiter;
  let api: FastifyInstance;
  let base: string;
  /** the arbiter's own 'worker' listeners, before any client came */
  let baseline: number;
  const streams: SseStream[] = [];
  const open = async (headers = AUTH): Promise<SseStream> => {
    const s = await openEvents(`${base}/v1/events`, { headers });
    streams.push(s);
    return s;
  };

  before(async () => {
    copyFileSync(join(FIXTURES, 'daemon/node-app.mjs'), join(dir, 'app.mjs'));
    writeFileSync(join(dir, 'tsgi.yaml'), 'apps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n');
    arbiter = new Arbiter(loadConfig(join(dir, 'tsgi.yaml')), silentLogger);
    await arbiter.start();
    await arbiter.command({ kind: 'start', app: 'web' });
    baseline = arbiter.events.listenerCount('worker');
    api = buildApi(arbiter, { token: TOKEN });
    await api.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
  });

  after(async () => {
    for (const s of streams) s.close();
    await api?.close();
    await arbiter?.command({ kind: 'shutdown' });
  });

  it('needs the token, like every route', async () => {
    const refused = await get(`${base}/v1/events`);
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).error.code, 'TSGI_ERR_API_UNAUTHORIZED');
    assert.equal((await get(`${base}/v1/events`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const unknown = await get(`${base}/v1/events?since=0`, { headers: AUTH });
    assert.equal(unknown.status, 400, 'an unknown parameter is refused, not ignored');
    assert.equal(JSON.parse(unknown.body).error.code, 'TSGI_ERR_API_VALIDATION');
  });

  it('starts with a snapshot that is GET /v1/apps, then a worker event and the restart record after a SIGKILL', async () => {
    const s = await open();
    assert.equal(s.status, 200);
    assert.match(String(s.headers['content-type']), /^text\/event-stream/);
    assert.equal(s.headers['cache-control'], 'no-store');
    const snapshot = await s.next();
    assert.equal(snapshot.event, 'snapshot', 'the first event is the snapshot');
    const listed = JSON.parse((await get(`${base}/v1/apps`, { headers: AUTH })).body);
    assert.deepEqual(snapshot.data.apps.map((a: AppStatus) => a.name), ['web']);
    assert.deepEqual(Object.keys(snapshot.data).sort(), Object.keys(listed).sort());
    assert.deepEqual(Object.keys(snapshot.data.apps[0]).sort(), Object.keys(listed.apps[0]).sort(), 'an app as GET /v1/apps shows it, config included');
    const pids = (snapshot.data.apps[0] as AppStatus).workers.filter((w) => w.state === 'ready').map((w) => w.pid!);
    assert.equal(pids.length, 2);

    const victim = pids[0]!;
    process.kill(victim, 'SIGKILL');
    const crashed = await s.next((e) => e.event === 'worker' && e.data.pid === victim && e.data.to === 'crashed');
    assert.equal(crashed.data.type, 'worker');
    assert.equal(crashed.data.app, 'web');
    assert.equal(crashed.data.from, 'ready');
    assert.equal(crashed.data.reason, 'killed', 'a kill from outside, not the app\'s own crash');
    const replaced = await s.next((e) => e.event === 'worker' && e.data.to === 'ready' && !pids.includes(e.data.pid));
    assert.ok(replaced.data.pid > 0, 'a new worker is ready');

    // stats carry the status without config, recent_restarts included, newest first
    const stats = await s.next((e) => e.event === 'stats' && e.data.apps[0].recent_restarts.length > 0);
    const app = stats.data.apps[0] as AppStatus & { config?: unknown };
    assert.equal(app.config, undefined, 'stats leave the config out');
    assert.deepEqual(
      { pid: app.recent_restarts[0]!.pid, reason: app.recent_restarts[0]!.reason, signal: app.recent_restarts[0]!.signal, state: app.recent_restarts[0]!.state },
      { pid: victim, reason: 'killed', signal: 'SIGKILL', state: 'crashed' },
    );
    assert.ok(app.workers.every((w) => typeof w.requests === 'number' && 'rss' in w && 'cpu' in w));
    const listedApp = JSON.parse((await get(`${base}/v1/apps/web`, { headers: AUTH })).body).app as AppStatus;
    assert.equal(listedApp.recent_restarts[0]!.pid, victim, 'GET /v1/apps/:name shows the same record');
  });

  it('keeps recent_restarts to the last 20, newest first', async () => {
    for (let i = 0; i < 11; i++) await arbiter.command({ kind: 'reload', app: 'web' });
    const exits = arbiter.appStatus('web').recent_restarts;
    assert.equal(exits.length, 20);
    assert.ok(exits.every((e, i) => i === 0 || e.at <= exits[i - 1]!.at), 'newest first');
    assert.equal(exits[0]!.reason, 'reload');
  });

  it('adds its listener for the first client and removes it when the last one hangs up', async () => {
    for (const s of streams) s.close();
    await waitFor(() => arbiter.events.listenerCount('worker') === baseline, { what: 'the earlier tests\' clients gone', timeout: 10_000, interval: 20 });
    const a = await open();
    const b = await open();
    await a.next((e) => e.event === 'snapshot');
    await b.next((e) => e.event === 'snapshot');
    assert.equal(arbiter.events.listenerCount('worker'), baseline + 1, 'one listener however many clients');
    a.close();
    b.close();
    await waitFor(() => arbiter.events.listenerCount('worker') === baseline, { what: 'the listener removed once both clients left', timeout: 10_000, interval: 20 });
  });

  it('serves the dashboard without a token, with a CSP and no caching, and leaves it out of the OpenAPI document', async () => {
    const page = await get(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /<script type="module" src="\/dashboard\/app\.js">/);
    assert.doesNotMatch(page.body, /<script>|on(click|load)=/, 'no inline script: the CSP would refuse it');
    const js = await get(`${base}/dashboard/app.js`);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.doesNotMatch(js.body, /innerHTML|insertAdjacentHTML|outerHTML/, 'text goes in as text');
    for (const asset of ['style.css', 'icon.svg']) assert.equal((await get(`${base}/dashboard/${asset}`)).status, 200, asset);
    assert.equal((await get(`${base}/dashboard/nope.js`)).status, 401, 'only the page\'s own files are open');
    const doc = JSON.parse((await get(`${base}/v1/openapi.json`, { headers: AUTH })).body);
    assert.ok(doc.paths['/v1/events'].get, 'the stream is documented');
    assert.equal(doc.paths['/'], undefined, 'the page is not part of the API');
  });

  it('ends open streams when the API closes, instead of waiting for the clients to hang up', async () => {
    const s = await open();
    await s.next((e) => e.event === 'snapshot');
    await api.close();
    await s.ended;
    assert.ok(s.events.length >= 1);
  });
});

describe('EventHub', () => {
  it('sends stats and a ping comment on its timers, and lets go of the arbiter with the last client', async () => {
    const events = new EventEmitter();
    let statusCalls = 0;
    const control = { events, status: () => ({ pid: 1, started_at: 0, uptime_ms: ++statusCalls, config_file: 'x', apps: [] }), appConfig: () => ({}) } as unknown as Control;
    const hub = new EventHub(control, { statsMs: 5, pingMs: 5 });
    const chunks: string[] = [];
    let seen: () => void = () => {};
    const unsubscribe = hub.subscribe({ send: (c) => (chunks.push(c), seen()), end: () => {} });
    assert.match(chunks[0]!, /^event: snapshot\ndata: \{"pid":1,/);
    // the hub's timers do not hold the process open (unref): this one does, while we wait
    const guard = setTimeout(() => assert.fail(`no stats or ping; got ${JSON.stringify(chunks)}`), 10_000);
    await new Promise<void>((r) => (seen = () => chunks.some((c) => c === ': ping\n\n') && chunks.some((c) => c.startsWith('event: stats\n')) && r()));
    clearTimeout(guard);
    events.emit('worker', { type: 'worker', app: 'a', worker: 1, pid: 2, from: 'starting', to: 'ready', at: 3 });
    assert.equal(chunks.at(-1), 'event: worker\ndata: {"type":"worker","app":"a","worker":1,"pid":2,"from":"starting","to":"ready","at":3}\n\n');
    unsubscribe();
    unsubscribe();
    assert.equal(events.listenerCount('worker'), 0);
    assert.equal(hub.size, 0);
  });
});

describe('GET /v1/events, a client that stops reading', () => {
  it('is cut off once it falls behind by more than the limit, and the daemon lets go of it', async () => {
    const events = new EventEmitter();
    // a big status, sent every millisecond: the client's socket buffers fill at once
    const status = () => ({ pid: 1, started_at: 0, uptime_ms: 0, config_file: 'x'.repeat(64 * 1024), apps: [] });
    const control = { events, status, appConfig: () => ({}) } as unknown as Control;
    const app = Fastify();
    eventRoutes(app, control, { statsMs: 1, maxUnsent: 256 * 1024 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const socket = connect((app.server.address() as AddressInfo).port, '127.0.0.1');
    try {
      // no 'data' listener: the socket reads no further than its own small buffer
      socket.write('GET /v1/events HTTP/1.1\r\nhost: x\r\n\r\n');
      await waitFor(() => events.listenerCount('worker') === 1, { what: 'the client subscribed', timeout: 10_000, interval: 20 });
      await waitFor(() => events.listenerCount('worker') === 0, { what: 'the slow client cut off and unsubscribed', timeout: 10_000, interval: 20 });
      // the daemon is still there for the next client
      const s = await openEvents(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/events`);
      assert.equal((await s.next()).event, 'snapshot');
      s.close();
    } finally {
      socket.destroy();
      await app.close();
    }
  });
});
