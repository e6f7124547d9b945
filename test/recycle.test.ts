/**
 * Worker limits the arbiter enforces, with real processes: max_requests and max_memory recycle a
 * worker gracefully (a replacement first, no request lost); `timeout` kills a hung worker while
 * its sibling serves. /metrics counts each under its reason.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, get, readyPids, startDaemon } from './helpers/daemon.js';
import { keepAliveLoad } from './helpers/load.js';
import { scrape, value, type Sample } from './helpers/metrics.js';
import { untilOutput } from './helpers/output.js';

const D = join(FIXTURES, 'daemon');
const restarts = (s: Sample[], reason: string) => value(s, 'tsgi_worker_restarts_total', { app: 'web', reason });

describe('worker recycling', () => {
  it('recycles after max_requests with no failed request under load', async () => {
    const d = await startDaemon(`
apps:
  web:
    app: ${D}/hungry.mjs
    listen: "127.0.0.1:0"
    workers: 2
    max_requests: 200
    max_requests_jitter: 50
`);
    try {
      const load = keepAliveLoad(await d.url('web'), 10);
      // five recycles' worth of distinct pids (2 initial + at least 4 replacements)
      await d.waitFor('several recycles', (s) => (s.apps[0]!.generation >= 1 && load.result.pids.length >= 6) || load.result.failed > 0, 60_000);
      const result = await load.stop();
      assert.deepEqual(result.errors, []);
      assert.ok(result.pids.length >= 6);
      const s = await d.waitFor('pool settled', (st) => st.apps[0]!.state === 'running' && st.apps[0]!.workers.length === 2);
      assert.equal(s.apps[0]!.restarts, 0, 'recycles are not crashes');
      await untilOutput(d, /recycling worker \d+ \(pid \d+\): served/);
      assert.ok(s.apps[0]!.workers.every((w) => w.requests <= 250 + 10), 'no worker far past its limit');
    } finally {
      await d.stop();
    }
  });

  it('recycles a worker whose memory grows past max_memory', async () => {
    const d = await startDaemon(`
stats_interval: 100ms
apps:
  web:
    app: ${D}/hungry.mjs
    listen: "127.0.0.1:0"
    workers: 1
    max_memory: 150MB
`);
    try {
      const url = await d.url('web');
      const [pid] = readyPids(await d.status(), 'web') as [number];
      assert.equal(restarts(await scrape(d.socket), 'max_memory'), 0);
      for (let i = 0; i < 4; i++) assert.equal((await get(`${url}/grow?mb=40`)).body, `grew ${pid}`);
      // the fresh worker's figures count from its ready, so a status right then has none yet: wait for the sampler's
      const s = await d.waitFor('replaced and sampled', (st) => readyPids(st, 'web').length === 1 && readyPids(st, 'web')[0] !== pid && st.apps[0]!.workers.length === 1 && st.apps[0]!.workers[0]!.rss !== null);
      assert.equal(s.apps[0]!.last_exit?.reason, 'max_memory');
      // counted as the old worker exits, which the status above has already seen
      assert.equal(restarts(await scrape(d.socket), 'max_memory'), 1);
      assert.equal(s.apps[0]!.last_exit?.pid, pid);
      await untilOutput(d, new RegExp(`recycling worker 1 \\(pid ${pid}\\): rss [\\d.]+MB over max_memory 150\\.0MB`));
      const fresh = s.apps[0]!.workers[0]!;
      assert.ok(fresh.rss !== null && fresh.rss < 150 * 1024 * 1024, 'the sampler reports rss');
      assert.equal((await get(url)).status, 200);
    } finally {
      await d.stop();
    }
  });

  it('kills a worker stuck in a busy loop after timeout while its sibling serves', async () => {
    const d = await startDaemon(`
apps:
  web:
    app: ${D}/hungry.mjs
    listen: "127.0.0.1:0"
    workers: 2
    timeout: 1500ms
`);
    try {
      const url = await d.url('web');
      const before = readyPids(await d.status(), 'web');
      assert.equal(restarts(await scrape(d.socket), 'timeout'), 0);
      // the spinning request sends its headers, then its worker's event loop (and heartbeat) stops
      let spinning: http.ClientRequest | undefined;
      const hung = await new Promise<number>((resolve, reject) => {
        spinning = http.get(`${url}/spin`, { agent: false }, (res) => {
          // it ends in a reset when the worker is killed: expected
          res.on('error', () => {});
          res.resume();
          resolve(Number(res.headers['x-pid']));
        });
        spinning.on('error', reject);
      });
      spinning!.on('error', () => {});
      const sibling = before.find((p) => p !== hung)!;
      const answers = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await get(url);
        assert.equal(r.status, 200);
        answers.add(String(r.headers['x-pid']));
      }
      assert.deepEqual([...answers], [String(sibling)], 'only the sibling answers while the other hangs');
      const s = await d.waitFor('hung worker replaced', (st) => !st.apps[0]!.workers.some((w) => w.pid === hung) && readyPids(st, 'web').length === 2);
      assert.equal(s.apps[0]!.last_exit?.reason, 'timeout');
      const samples = await scrape(d.socket);
      assert.equal(restarts(samples, 'timeout'), 1);
      assert.equal(restarts(samples, 'crash'), 0, 'a kill for timeout is not a crash');
      assert.ok(readyPids(s, 'web').includes(sibling));
      await untilOutput(d, new RegExp(`worker \\d+ \\(pid ${hung}\\) sent no heartbeat`));
      spinning!.destroy();
    } finally {
      await d.stop();
    }
  });
});
