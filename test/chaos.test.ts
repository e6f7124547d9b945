/**
 * Chaos, short version (bench/chaos.ts runs it for 30 s): under a keep-alive load on three apps, a
 * random worker is SIGKILLed every 250 ms and one worker is SIGSTOPped for longer than its app's
 * 1 s `timeout`. Afterwards the daemon is alive, every app is back at its target, the only failed
 * requests are resets of requests that were in flight on a killed worker (never a refused
 * connection: the arbiter holds the sockets), and the arbiter's RSS has not grown.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, startDaemon } from './helpers/daemon.js';
import { chaosYaml, runChaos } from './helpers/chaos.js';
import { untilOutput } from './helpers/output.js';

const APPS = ['a', 'b', 'c'];
const CONNECTIONS = 6;
/** what a request cut by its worker's death looks like to a client; ECONNREFUSED is not among them */
const IN_FLIGHT = new Set(['ECONNRESET', 'socket hang up', 'EPIPE']);

describe('chaos', () => {
  it('survives a SIGKILL every 250 ms and a SIGSTOPped worker, losing only in-flight requests', async (t) => {
    const d = await startDaemon(chaosYaml(join(FIXTURES, 'daemon/node-app.mjs'), APPS, 2));
    try {
      const r = await runChaos(d, { apps: APPS, seconds: 5, killEveryMs: 250, connections: CONNECTIONS, stopApp: 'a', recoverTimeoutMs: 10_000 });
      t.diagnostic(
        `kills ${r.kills}; requests ok ${r.ok}, failed ${r.failed} ${JSON.stringify(r.errorKinds)}; back at target in ${r.recoverMs} ms; ` +
          `arbiter VmRSS ${r.rssBeforeKb} kB before, ${r.rssAfterKb} kB after`,
      );
      assert.ok(r.daemonAlive, 'tsgid is alive');
      assert.ok(r.kills >= 10, `workers were killed (${r.kills})`);
      assert.ok(r.stoppedGone, `the SIGSTOPped worker ${r.stoppedPid} was killed by the arbiter`);
      await untilOutput(d, new RegExp(`pid ${r.stoppedPid}\\) sent no heartbeat`));
      const kinds = Object.keys(r.errorKinds);
      assert.deepEqual(kinds.filter((k) => !IN_FLIGHT.has(k)), [], 'every failure is a reset of an in-flight request, none a refusal or an HTTP error');
      // a killed worker can only cut the requests in flight on its connections; one app's load has
      // CONNECTIONS of them in all, each with one request in flight (+1 kill: the stopped worker)
      assert.ok(r.failed <= (r.kills + 1) * CONNECTIONS, `${r.failed} failures ≤ ${(r.kills + 1)} kills × ${CONNECTIONS} connections`);
      assert.ok(r.ok > 2 * r.failed, `most requests succeeded (${r.ok} ok, ${r.failed} failed)`);
      for (const app of APPS) assert.ok(r.loads[app]!.ok > 0, `${app} answered`);
      assert.ok(r.rssAfterKb < 1.5 * r.rssBeforeKb + 20 * 1024, `arbiter VmRSS ${r.rssBeforeKb} kB → ${r.rssAfterKb} kB`);
    } finally {
      await d.stop();
    }
  });
});
