/**
 * What a worker sends is checked at the arbiter's boundary: the user's app shares the worker's
 * IPC channel. Units for each kind's shape, then a real tsgid hosting an app that sends junk of
 * every kind and a forged access line: the daemon stays up, says so once, its counters stay
 * exact, the access log gets no line the app made up, and the app keeps serving.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CODE_SLOTS, DURATION_BOUNDS } from '../daemon/pool/request-stats.js';
import { parseWorkerMessage } from '../daemon/pool/worker-messages.js';
import { FIXTURES, get, readyPids, startDaemon, tempDir } from './helpers/daemon.js';
import { scrapeUntil, value } from './helpers/metrics.js';
import { waitFor } from './helpers/wait.js';

const hb = (over: Record<string, unknown> = {}) => ({
  t: 'hb',
  requests: 3,
  inflight: 1,
  connections: 2,
  codes: new Array<number>(CODE_SLOTS).fill(1),
  buckets: new Array<number>(DURATION_BOUNDS.length + 1).fill(0),
  sum: 0.25,
  ...over,
});

describe('parseWorkerMessage', () => {
  it('takes each kind tsgi sends, as sent', () => {
    for (const m of [hb(), { t: 'ready' }, { t: 'got', ids: [1, 7] }, { t: 'retire', reason: 'max_requests' }, { t: 'access', lines: ['a', 'b'] }, { t: 'access', lines: [] }]) {
      assert.deepEqual(parseWorkerMessage(m), m);
    }
    assert.deepEqual(parseWorkerMessage({ t: 'boot-error', message: 'boom', stack: 'Error: boom\n    at x' }), { t: 'boot-error', message: 'boom', stack: 'Error: boom\n    at x' });
    assert.deepEqual(parseWorkerMessage({ t: 'boot-error', message: 'boom' }), { t: 'boot-error', message: 'boom', stack: undefined });
  });

  it('refuses anything else: not an object, an unknown kind, a field of the wrong shape', () => {
    const bad: unknown[] = [
      undefined, null, 'hb', 7, [], {}, { t: 'hb' }, { t: 'HB' }, { t: 3 },
      hb({ requests: '3' }), hb({ inflight: -1 }), hb({ connections: 1.5 }), hb({ requests: 2 ** 60 }),
      hb({ codes: 'x' }), hb({ codes: [1, 2] }), hb({ codes: [...new Array<number>(CODE_SLOTS - 1).fill(0), null] }),
      hb({ buckets: [...new Array<number>(DURATION_BOUNDS.length).fill(0), -1] }), hb({ buckets: {} }),
      hb({ sum: -0.5 }), hb({ sum: Infinity }), hb({ sum: NaN }), hb({ sum: '1' }),
      { t: 'got' }, { t: 'got', ids: [1, 'x'] }, { t: 'got', ids: [-2] },
      { t: 'access' }, { t: 'access', lines: 'x' }, { t: 'access', lines: ['x', 2] },
      { t: 'retire' }, { t: 'retire', reason: 'bored' },
      { t: 'boot-error' }, { t: 'boot-error', message: 1 }, { t: 'boot-error', message: 'x', stack: {} },
    ];
    for (const m of bad) assert.equal(parseWorkerMessage(m), undefined, JSON.stringify(m));
  });

  it('keeps each access line one line: CR and LF escaped, the way the worker escapes a field', () => {
    const lines = ['plain', 'forged\n10.0.0.1 - - x', 'cr\r\nlf'];
    assert.deepEqual(parseWorkerMessage({ t: 'access', lines }), { t: 'access', lines: ['plain', 'forged\\x0a10.0.0.1 - - x', 'cr\\x0d\\x0alf'] });
    assert.deepEqual(lines, ['plain', 'forged\n10.0.0.1 - - x', 'cr\r\nlf'], 'the message itself is not changed');
  });
});

describe('an app that writes junk on the IPC channel', () => {
  it('leaves the daemon up, warns once for the worker, keeps the counters exact and the access log unforged', async () => {
    const dir = tempDir();
    const accessLog = join(dir, 'access.log');
    const d = await startDaemon(`apps:\n  web:\n    app: ./junk-app.mjs\n    listen: "127.0.0.1:0"\n    access_log: ${accessLog}\n`, { dir, fixtures: ['messages/junk-app.mjs'] });
    const { FORGED } = (await import(pathToFileURL(join(dir, 'junk-app.mjs')).href)) as { FORGED: string };
    try {
      const url = await d.url('web');
      const [pid] = readyPids(await d.status(), 'web');
      for (let i = 0; i < 2; i++) assert.match((await get(`${url}/junk`)).body, /^sent \d+$/);
      for (let i = 0; i < 5; i++) assert.equal((await get(`${url}/`)).body, `ok ${pid}`);

      // the counts: 7 responses, all 2xx, none in flight, every figure a number
      const samples = await scrapeUntil(d.socket, '7 responses counted', (s) => value(s, 'tsgi_http_requests_total', { app: 'web', code: '2xx' }) === 7);
      assert.ok(samples.every((s) => Number.isFinite(s.value) && s.value >= 0), 'every sample a number, none below 0');
      assert.equal(value(samples, 'tsgi_http_request_duration_seconds_count', { app: 'web' }), 7);
      assert.equal(value(samples, 'tsgi_worker_requests_total', { app: 'web', worker: '1' }), 7);
      assert.equal(value(samples, 'tsgi_http_requests_in_flight', { app: 'web', worker: '1' }), 0);
      for (const code of ['1xx', '3xx', '4xx', '5xx', 'aborted']) assert.equal(value(samples, 'tsgi_http_requests_total', { app: 'web', code }), 0, code);

      // the access log: the 7 real lines, and the app's own lines kept to one line each
      const read = () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8').split('\n').slice(0, -1) : []);
      const lines = await waitFor(
        () => {
          const l = read();
          return l.length >= 11 && l;
        },
        { what: "the access log's 11 lines", detail: () => read().join('\n') },
      );
      const real = lines.filter((l) => /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/(junk)? HTTP\/1\.1" 200 \d+ "-" "-"$/.test(l));
      assert.equal(real.length, 7, lines.join('\n'));
      assert.ok(!lines.includes(FORGED), 'no line the app made up');
      assert.deepEqual(
        lines.filter((l) => !real.includes(l)),
        [`forged-by-app\\x0a${FORGED}`, `also\\x0d\\x0a${FORGED}`, `forged-by-app\\x0a${FORGED}`, `also\\x0d\\x0a${FORGED}`],
      );

      // one warning for the worker, however many messages it sent
      const warnings = d.output().split('\n').filter((l) => l.includes('sent a message that is not tsgi'));
      assert.equal(warnings.length, 1, d.output());
      assert.match(warnings[0]!, /WARN {2}web: worker 1 sent a message that is not tsgi's; ignored, as any more will be: "a string"$/);

      const app = await d.app('web');
      assert.equal(app.state, 'running');
      assert.equal(app.restarts, 0);
      assert.deepEqual(readyPids(await d.status(), 'web'), [pid], 'the same worker serves on');
      assert.equal(d.proc.exitCode, null);
    } finally {
      await d.stop();
    }
  });
});
