/**
 * GET /metrics on a real tsgid: a Prometheus exposition that parses, behind the admin token;
 * responses counted exactly, by status class, once the workers' heartbeats deliver them; the
 * duration histogram agrees with the count; restarts counted by reason (a SIGKILLed worker is a
 * crash, a rolling reload replaces each worker for "reload"), and the app's totals never go down
 * when workers are replaced.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DaemonStatus } from '../daemon/arbiter/arbiter.js';
import { CONTENT_TYPE } from '../api/prometheus.js';
import { get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { parseExposition, scrapeUntil, value, type Sample } from './helpers/metrics.js';

const TOKEN = 'metrics-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('GET /metrics', () => {
  let d: Daemon;
  let admin: string;
  let web: string;

  async function scrape(): Promise<{ types: Map<string, string>; samples: Sample[] }> {
    const r = await get(`${admin}/metrics`, { headers: AUTH });
    assert.equal(r.status, 200, r.body);
    // the constant tsgi declares, so that prom-client loads at the first scrape, must stay prom-client's own
    assert.equal(r.headers['content-type'], CONTENT_TYPE);
    assert.equal(CONTENT_TYPE, (await import('prom-client')).Registry.PROMETHEUS_CONTENT_TYPE);
    return parseExposition(r.body);
  }

  /** Scrape until `pred` holds: heartbeats bring the counts within a beat; the bound only stops a hang. */
  async function scrapeUntil(what: string, pred: (s: Sample[]) => boolean): Promise<Sample[]> {
    let last: Sample[] = [];
    for (let attempt = 0; attempt < 400; attempt++) {
      last = (await scrape()).samples;
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never saw ${what}; last scrape:\n${last.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`);
  }

  const total = (s: Sample[], code: string) => value(s, 'tsgi_http_requests_total', { app: 'web', code }) ?? -1;
  const restarts = (s: Sample[], reason: string) => value(s, 'tsgi_worker_restarts_total', { app: 'web', reason }) ?? -1;

  before(async () => {
    d = await startDaemon(
      `admin: { listen: "127.0.0.1:0", token: "${TOKEN}" }\napps:\n  web:\n    app: ./status-app.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n    timeout: 2s\n`,
      { fixtures: ['metrics/status-app.mjs'], wait: false },
    );
    for (let i = 0; i < 400 && !/admin API on (\S+)/.test(d.output()); i++) await new Promise((r) => setTimeout(r, 50));
    admin = `http://${/admin API on (\S+)/.exec(d.output())![1]}`;
    // the daemon helper talks over a unix socket; this one has TCP and a token
    for (let i = 0; i < 400; i++) {
      const r = await get(`${admin}/v1/apps/web`, { headers: AUTH });
      const app = JSON.parse(r.body).app as { state: string; listen: string[] };
      if (app.state === 'running') {
        web = `http://${app.listen.find((l) => !l.startsWith('unix:'))}`;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(web !== undefined, 'web is running');
  });

  after(async () => {
    await d?.stop();
  });

  it('needs the token on the TCP admin listener', async () => {
    const r = await get(`${admin}/metrics`);
    assert.equal(r.status, 401);
    assert.equal(JSON.parse(r.body).error.code, 'TSGI_ERR_API_UNAUTHORIZED');
    assert.equal((await get(`${admin}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  it('parses, names every family tsgi_, and has the daemon and app figures', async () => {
    await scrapeUntil('worker memory sampled', (s) => s.filter((x) => x.name === 'tsgi_worker_resident_memory_bytes').length === 2);
    const { types, samples } = await scrape();
    for (const name of types.keys()) assert.match(name, /^tsgi_/);
    assert.equal(types.get('tsgi_http_requests_total'), 'counter');
    assert.equal(types.get('tsgi_http_request_duration_seconds'), 'histogram');
    assert.equal(types.get('tsgi_http_requests_in_flight'), 'gauge');
    assert.equal(value(samples, 'tsgi_app_workers_target', { app: 'web' }), 2);
    assert.equal(value(samples, 'tsgi_app_workers_ready', { app: 'web' }), 2);
    assert.ok(value(samples, 'tsgi_daemon_uptime_seconds', {})! > 0);
    assert.ok(value(samples, 'tsgi_daemon_resident_memory_bytes', {})! > 1e6);
    assert.ok(value(samples, 'tsgi_daemon_cpu_seconds_total', {})! > 0);
    assert.equal(types.get('tsgi_app_unavailable_total'), 'counter');
    for (const reason of ['failed', 'stopped', 'hold_timeout', 'queue_full']) assert.equal(value(samples, 'tsgi_app_unavailable_total', { app: 'web', reason }), 0, reason);
    assert.equal(value(samples, 'tsgi_worker_restarts_total', { app: 'web', reason: 'killed' }), 0);
    for (const s of samples.filter((x) => x.name === 'tsgi_worker_resident_memory_bytes')) assert.ok(s.value > 1e6 && /^\d+$/.test(s.labels.worker!), JSON.stringify(s));
  });

  it('counts each response once by status class, and the histogram agrees', async () => {
    const before = (await scrape()).samples;
    const base = { ok: total(before, '2xx'), notFound: total(before, '4xx'), fail: total(before, '5xx') };
    const statuses = [...Array<number>(12).fill(200), 404, 404, 404, 503, 201];
    for (const status of statuses) assert.equal((await get(`${web}/?status=${status}`)).status, status);
    const s = await scrapeUntil('13 2xx, 3 4xx, 1 5xx', (x) => total(x, '2xx') === base.ok + 13 && total(x, '4xx') === base.notFound + 3 && total(x, '5xx') === base.fail + 1);
    const all = ['1xx', '2xx', '3xx', '4xx', '5xx', 'aborted'].reduce((n, c) => n + total(s, c), 0);
    const buckets = s.filter((x) => x.name === 'tsgi_http_request_duration_seconds_bucket' && x.labels.app === 'web');
    assert.equal(buckets.at(-1)!.labels.le, '+Inf');
    for (let i = 1; i < buckets.length; i++) {
      const le = (b: Sample) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le));
      assert.ok(le(buckets[i]!) > le(buckets[i - 1]!), `bounds ascend: ${buckets[i - 1]!.labels.le}, ${buckets[i]!.labels.le}`);
      assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
    }
    assert.equal(buckets.at(-1)!.value, all, '+Inf bucket = every response');
    assert.equal(value(s, 'tsgi_http_request_duration_seconds_count', { app: 'web' }), all);
    assert.ok(value(s, 'tsgi_http_request_duration_seconds_sum', { app: 'web' })! > 0);
    const perWorker = s.filter((x) => x.name === 'tsgi_worker_requests_total').reduce((n, x) => n + x.value, 0);
    assert.equal(perWorker, all, 'the per-worker counts add up to the app total while no worker was replaced');
    for (const code of ['2xx', '4xx', '5xx']) {
      const byWorker = s.filter((x) => x.name === 'tsgi_worker_responses_total' && x.labels.app === 'web' && x.labels.code === code);
      assert.equal(byWorker.length, 2, `a ${code} series per worker`);
      assert.equal(byWorker.reduce((n, x) => n + x.value, 0), total(s, code), `the workers' ${code} add up to the app's`);
    }
  });

  it('counts a response Node makes by itself (400: HTTP/1.1 without Host), and leaves nothing in flight', async () => {
    const base = total((await scrape()).samples, '4xx');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(web).port), '127.0.0.1');
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write('GET / HTTP/1.1\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const s = await scrapeUntil('the 400 counted, and 0 in flight', (x) => total(x, '4xx') === base + 1 && x.filter((y) => y.name === 'tsgi_http_requests_in_flight').every((y) => y.value === 0));
    assert.equal(s.filter((y) => y.name === 'tsgi_http_requests_in_flight').length, 2);
  });

  it('counts a SIGKILLed worker as killed (not a crash) and keeps what it had served', async () => {
    const s0 = await scrape();
    const served = total(s0.samples, '2xx');
    const crashes = restarts(s0.samples, 'killed');
    assert.ok(served > 0 && crashes === 0, `served ${served}, crashes ${crashes}`);
    const status = JSON.parse((await get(`${admin}/v1/apps`, { headers: AUTH })).body) as DaemonStatus;
    const victim = readyPids(status, 'web')[0]!;
    process.kill(victim, 'SIGKILL');
    const s1 = await scrapeUntil('a killed restart and 2 ready workers', (x) => restarts(x, 'killed') === crashes + 1 && restarts(x, 'crash') === 0 && value(x, 'tsgi_app_workers_ready', { app: 'web' }) === 2);
    assert.ok(total(s1, '2xx') >= served, `2xx went from ${served} to ${total(s1, '2xx')}`);
    for (let i = 0; i < 5; i++) assert.equal((await get(`${web}/`)).status, 200);
    await scrapeUntil('5 more 2xx', (x) => total(x, '2xx') === total(s1, '2xx') + 5);
  });

  it('counts each worker a reload replaces, and the totals survive the reload', async () => {
    const s0 = (await scrape()).samples;
    const served = total(s0, '2xx');
    const reloads = restarts(s0, 'reload');
    const r = await get(`${admin}/v1/apps/web/reload`, { method: 'POST', headers: AUTH });
    assert.equal(r.status, 200, r.body);
    const s1 = await scrapeUntil('2 reload restarts', (x) => restarts(x, 'reload') === reloads + 2);
    assert.equal(total(s1, '2xx'), served, 'no response lost or counted twice across the reload');
    const count = value(s1, 'tsgi_http_request_duration_seconds_count', { app: 'web' });
    assert.equal(count, ['1xx', '2xx', '3xx', '4xx', '5xx', 'aborted'].reduce((n, c) => n + total(s1, c), 0));
  });
});

describe('GET /metrics: a recycled worker (max_requests)', () => {
  let d: Daemon;
  after(async () => {
    await d?.stop();
  });

  it('counts the recycle as a max_requests restart, and every response its worker served', async () => {
    d = await startDaemon('apps:\n  web:\n    app: ./status-app.mjs\n    listen: "127.0.0.1:0"\n    workers: 1\n    max_requests: 5\n', { fixtures: ['metrics/status-app.mjs'] });
    const web = await d.url('web');
    const first = readyPids(await d.status(), 'web')[0]!;
    for (let i = 0; i < 5; i++) assert.equal((await get(`${web}/`)).status, 200);
    // all 5 responses counted: the recycled worker sends its last counts as it exits
    const samples = await scrapeUntil(d.socket, 'the recycle and its 5 responses counted', (s) =>
      value(s, 'tsgi_worker_restarts_total', { app: 'web', reason: 'max_requests' }) === 1 && value(s, 'tsgi_http_requests_total', { app: 'web', code: '2xx' }) === 5 && value(s, 'tsgi_app_workers_ready', { app: 'web' }) === 1,
    );
    assert.equal(value(samples, 'tsgi_worker_restarts_total', { app: 'web', reason: 'crash' }), 0, 'a recycle is not a crash');
    assert.notEqual(readyPids(await d.status(), 'web')[0], first, 'a new worker serves');
  });
});
