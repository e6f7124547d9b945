/**
 * Chaos, full version (test/chaos.test.ts runs it for 5 s): three apps of 2 workers under a
 * keep-alive load (8 connections each); a random worker SIGKILLed every 250 ms and one worker
 * SIGSTOPped past its app's 1 s `timeout`, for 30 s. Reported: kills, requests ok and failed (and
 * how they failed), time until every app is back at its target, and the arbiter's RSS before/after.
 *
 *   npm run build && node dist/bench/chaos.js [--seconds 30]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FIXTURES, startDaemon } from '../test/helpers/daemon.js';
import { chaosYaml, runChaos } from '../test/helpers/chaos.js';
import { machine, row } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const SECONDS = Number(values.seconds);
const APPS = ['a', 'b', 'c'];
const CONNECTIONS = 8;

const d = await startDaemon(chaosYaml(join(FIXTURES, 'daemon/node-app.mjs'), APPS, 2));
try {
  const r = await runChaos(d, { apps: APPS, seconds: SECONDS, killEveryMs: 250, connections: CONNECTIONS, stopApp: 'a', recoverTimeoutMs: 30_000 });
  console.log(`\nChaos — ${machine()}; 3 apps × 2 workers, ${CONNECTIONS} keep-alive connections each, SIGKILL a random worker every 250 ms + 1 worker SIGSTOPped (timeout 1s), ${SECONDS} s\n`);
  console.log(row(['kills', 'requests ok', 'failed', 'failures by kind', 'failed per kill', 'SIGSTOPped worker killed by arbiter', 'back at target after ms', 'arbiter VmRSS before → after MB', 'tsgid alive']));
  console.log(row(['---:', '---:', '---:', '---', '---:', '---', '---:', '---', '---']));
  console.log(
    row([
      r.kills,
      r.ok,
      r.failed,
      JSON.stringify(r.errorKinds),
      (r.failed / Math.max(1, r.kills + 1)).toFixed(2),
      r.stoppedGone ? 'yes' : 'NO',
      r.recoverMs,
      `${(r.rssBeforeKb / 1024).toFixed(0)} → ${(r.rssAfterKb / 1024).toFixed(0)}`,
      r.daemonAlive ? 'yes' : 'NO',
    ]),
  );
} finally {
  await d.stop();
}
