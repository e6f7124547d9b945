/**
 * Issue #19's scenario with the default restart policy: one app of 4 workers under 20 keep-alive
 * connections, a random ready worker SIGKILLed every 250 ms for `--seconds`; then the time until
 * the app is back at its target with no manual step (or the state it is stuck in), and how the
 * clients' requests failed (ECONNRESET vs 503). `--tsgid` runs another build (e.g. main's dist)
 * for a before/after.
 *
 *   npm run build && node dist/bench/fault-recovery.js [--seconds 30] [--tsgid /work/main/dist/daemon/main.js]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keepAliveLoad } from '../test/helpers/load.js';
import { adminGet, HELLO, machine, row, scratch, sleep, startTsgid, TSGID } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, tsgid: { type: 'string', default: TSGID }, workers: { type: 'string', default: '4' }, 'recover-s': { type: 'string', default: '60' } } });
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);

type Status = { apps: Array<{ name: string; listen: string[]; state: string; target: number; ready: number; failed_reason: string | null; workers: Array<{ pid?: number; state: string }> }> };

const dir = scratch('fault-recovery');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
const d = await startTsgid(dir, `apps:\n  a:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: ${WORKERS}\n`, values.tsgid);
try {
  const app = async () => (await adminGet<Status>(d.socket, '/v1/apps')).apps[0]!;
  const listen = (await app()).listen[0]!;
  const load = keepAliveLoad(`http://${listen}/`, 20);
  let kills = 0;
  let firstFailedMs: number | undefined;
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    const tick = Date.now();
    const a = await app();
    if (a.state === 'failed') firstFailedMs ??= Date.now() - t0;
    const ready = a.workers.filter((w) => w.state === 'ready' && w.pid !== undefined);
    const pick = ready[Math.floor(Math.random() * ready.length)];
    if (pick !== undefined) {
      try {
        process.kill(pick.pid!, 'SIGKILL');
        kills++;
      } catch {
        // it died between the status and the kill
      }
    }
    await sleep(Math.max(0, 250 - (Date.now() - tick)));
  }
  const stopped = Date.now();
  let recoverMs: number | undefined;
  let last = await app();
  while (Date.now() - stopped < Number(values['recover-s']) * 1000) {
    last = await app();
    if (last.state === 'running' && last.ready === last.target) {
      recoverMs = Date.now() - stopped;
      break;
    }
    await sleep(50);
  }
  const r = await load.stop();
  const kinds: Record<string, number> = {};
  for (const e of r.errors) {
    const k = e.startsWith('HTTP') ? e.slice(0, 8) : e;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  console.log(`\nFault recovery — ${machine()}; 1 app × ${WORKERS} workers, default restart policy, 20 keep-alive connections, SIGKILL a random ready worker every 250 ms for ${SECONDS} s; tsgid ${values.tsgid}\n`);
  console.log(row(['kills', 'first failed at s', 'back at target after kills stop, ms', 'state then', 'requests ok', 'failed', 'failures by kind']));
  console.log(row(['---:', '---:', '---:', '---', '---:', '---:', '---']));
  console.log(row([kills, firstFailedMs === undefined ? 'never' : (firstFailedMs / 1000).toFixed(1), recoverMs ?? `not within ${values['recover-s']} s`, `${last.state} ${last.ready}/${last.target}${last.failed_reason ? ` (${last.failed_reason})` : ''}`, r.ok, r.failed, JSON.stringify(kinds)]));
} finally {
  await d.stop();
}
