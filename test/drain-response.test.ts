/**
 * A drain (here a reload) tells HTTP/1.1 clients to go: a response in flight when the drain
 * starts, and a request that arrives afterwards on a kept-alive connection, both answer
 * `Connection: close`, so the client reconnects to a new worker instead of the draining one.
 * (The worker does this in a hook on ServerResponse.prototype, daemon/worker/tsgi-response.ts, not
 * with a listener per response.) Also for an Express app, which replaces every response's prototype.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { FIXTURES, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
  reused: boolean;
}

function send(url: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

for (const [label, module] of [['a request listener', 'hold-app.mjs'], ['an Express app', 'hold-express.mjs']] as const) describe(`drain: Connection: close, ${label}`, () => {
  let d: Daemon;
  let web: string;
  const agents: http.Agent[] = [];
  const agent = (): http.Agent => {
    const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(a);
    return a;
  };

  before(async () => {
    // keepalive past the default 5s: the kept connection waits for the new worker's boot, slow on a loaded machine
    d = await startDaemon(`apps:\n  web:\n    app: ${join(FIXTURES, 'drain', module)}\n    listen: "127.0.0.1:0"\n    workers: 1\n    keepalive: 2m\n`);
    web = await d.url('web');
  });

  after(async () => {
    for (const a of agents) a.destroy();
    await d?.stop();
  });

  it('is said by a response in flight at the drain, and by one asked for after it on a kept-alive connection', async () => {
    const idle = agent();
    const first = await send(`${web}/`, idle);
    assert.equal(first.connection, 'keep-alive', 'before the drain, connections are kept');
    const oldPid = readyPids(await d.status(), 'web')[0]!;
    assert.equal(first.body, `hello from ${oldPid}`);

    const holding = send(`${web}/hold`, agent());
    // the held request has reached the app (the same single worker answers /held)
    for (let i = 0; (await send(`${web}/held`, idle)).body !== '1'; i++) assert.ok(i < 200, 'the /hold request never reached the app');

    const reload = d.api('POST', '/v1/apps/web/reload');
    const released = await holding;
    assert.equal(released.status, 200);
    assert.equal(released.body, 'released');
    assert.equal(released.connection, 'close', 'the response in flight when the drain began');

    // the kept-alive connection still goes to the draining worker, which answers and closes it
    const late = await send(`${web}/`, idle);
    assert.ok(late.reused, 'sent on the connection kept from before the drain');
    assert.equal(late.body, `hello from ${oldPid}`);
    assert.equal(late.connection, 'close', 'a request that came after the drain began');

    assert.equal((await reload).status, 200);
    const next = await send(`${web}/`, idle);
    assert.equal(next.reused, false, 'the client reconnected');
    assert.notEqual(next.body, `hello from ${oldPid}`, 'to the new worker');
    assert.equal(next.connection, 'keep-alive');
  });
});
