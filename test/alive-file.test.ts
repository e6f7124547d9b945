/**
 * An idle worker's sign of life is its alive file (daemon/os/alive-file.ts), not a message: a
 * real tsgid with a short `timeout` keeps its idle workers past several timeouts, each holding the
 * unlinked file at descriptor 4; a hung worker is still killed (test/recycle.test.ts).
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, readyPids, startDaemon, type Daemon } from './helpers/daemon.js';
import { scrape, value } from './helpers/metrics.js';
import { scaled } from './helpers/wait.js';

describe('alive file', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const daemons: Daemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('keeps idle workers that send no message past several timeouts; each holds its unlinked file at fd 4', { timeout: 120_000 }, async () => {
    const d = await startDaemon(`apps:\n  web:\n    app: ${join(FIXTURES, 'daemon/node-app.mjs')}\n    listen: "127.0.0.1:0"\n    workers: 2\n    timeout: 1s\n`);
    daemons.push(d);
    const before = readyPids(await d.status(), 'web').sort();
    assert.equal(before.length, 2);
    for (const pid of before) assert.match(readlinkSync(`/proc/${pid}/fd/4`), /tsgi-alive-\d+-[0-9a-f]+ \(deleted\)$/);
    // idle, no counters to send: only the files say they are alive
    await new Promise((resolve) => setTimeout(resolve, scaled(4000)));
    assert.deepEqual(readyPids(await d.status(), 'web').sort(), before, 'the same workers');
    assert.equal(value(await scrape(d.socket), 'tsgi_worker_restarts_total', { app: 'web', reason: 'timeout' }), 0);
    assert.doesNotMatch(d.output(), /sent no heartbeat/);
  });
});
