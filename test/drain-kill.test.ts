/**
 * The arbiter's last word on a drain: a worker told to drain by a reload that is still there
 * after graceful_timeout (its event loop stuck in a handler, so it cannot even exit at its own
 * deadline) is SIGKILLed, the exit is recorded as a planned stop by SIGKILL, the request it held
 * is cut, and the new worker serves.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { get, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { untilOutput } from './helpers/output.js';

const YAML = `
apps:
  web:
    app: ./stuck.mjs
    listen: "127.0.0.1:0"
    workers: 1
    graceful_timeout: 1s
    # the stuck worker sends no heartbeat: keep the hung-worker guard out of this test
    timeout: 10m
`;

/** Sends GET `url` and resolves once the response has begun, with the pid that answered and whether the response ever completes. */
function holdRequest(url: string): Promise<{ pid: number; complete: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.setEncoding('utf8');
      const complete = new Promise<boolean>((done) => res.once('close', () => done(res.complete)));
      res.on('error', () => {}); // the cut shows as complete === false
      res.once('data', (chunk: string) => {
        const m = /^stuck in (\d+)/.exec(chunk);
        if (m === null) reject(new Error(`unexpected first chunk: ${chunk}`));
        else resolve({ pid: Number(m[1]), complete });
      });
    });
    req.on('error', reject);
  });
}

describe('a worker still draining after graceful_timeout', () => {
  let d: Daemon | undefined;

  after(async () => {
    await d?.stop();
  });

  it('is SIGKILLed by the arbiter, its held request is cut, and the new worker serves', { timeout: 120_000 }, async () => {
    d = await startDaemon(YAML, { fixtures: ['daemon/stuck.mjs'] });
    const url = await d.url('web');
    const [old] = readyPids(await d.status(), 'web');
    const held = await holdRequest(`${url}/stuck`);
    assert.equal(held.pid, old, 'the one worker holds the request');

    const reload = await d.api<{ app: { generation: number } }>('POST', '/v1/apps/web/reload');
    assert.equal(reload.status, 200);
    const s = await d.waitFor('the old worker to exit', (st) => st.apps[0]!.recent_restarts.some((e) => e.pid === old), 60_000);
    const web = s.apps[0]!;
    const exit = web.recent_restarts.find((e) => e.pid === old)!;
    assert.deepEqual({ state: exit.state, reason: exit.reason, signal: exit.signal, code: exit.code }, { state: 'stopped', reason: 'reload', signal: 'SIGKILL', code: null });
    assert.equal(web.restarts, 0, 'a drain cut short is not a crash');
    assert.equal(await held.complete, false, 'the held response was cut, never completed');
    await untilOutput(d, new RegExp(`web: worker \\d+ \\(pid ${old}\\) still draining after graceful_timeout; killing it`));

    const [fresh] = readyPids(s, 'web');
    assert.ok(fresh !== undefined && fresh !== old, `a new worker is ready (${fresh})`);
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.equal(r.body, `hello from ${fresh}`);
  });
});
