/**
 * Crash recovery: a single-worker hello-world app whose worker is SIGKILLed every 2 s while wrk
 * keeps 20 keep-alive connections on it. Reported: wrk's connection errors, and for each kill the
 * time until a request on a fresh connection is answered by the replacement (a different pid).
 * tsgid (the arbiter holds the socket: connections wait for the new worker), PM2 fork mode (the
 * app's own socket dies with it) and PM2 cluster mode with one instance, side by side.
 *
 *   npm run build && node dist/bench/crash-recovery.js [--seconds 20] [--no-pm2]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, machine, median, pm2Bin, row, scratch, sleep, startTsgid, wrk, type WrkResult } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, 'no-pm2': { type: 'boolean', default: false } } });
const SECONDS = Number(values.seconds);
const KILL_EVERY_MS = 2000;
const HELLO_PID = `(req, res) => { res.setHeader('x-pid', String(process.pid)); res.end('hello world'); }`;

/** a probe not answered within this long is abandoned (and counted as hung) */
const PROBE_TIMEOUT_MS = 500;

/** The pid that answers a request on a fresh connection; 'hung' if unanswered in time, undefined on a connection error. */
function answeringPid(url: string): Promise<number | 'hung' | undefined> {
  return new Promise((resolve) => {
    let hung = false;
    const req = http.get(url, { agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(Number(res.headers['x-pid'])));
    });
    req.on('timeout', () => {
      hung = true;
      req.destroy();
    });
    req.on('error', () => resolve(hung ? 'hung' : undefined));
  });
}

interface Outcome extends WrkResult {
  kills: number;
  /** ms from SIGKILL until the replacement answered, per kill */
  recoverMs: number[];
  /** probes (fresh connections) refused or reset while waiting for the replacement */
  probeErrors: number;
  /** probes accepted but never answered within PROBE_TIMEOUT_MS */
  probesHung: number;
}

async function chaos(url: string): Promise<Outcome> {
  const load = wrk(url, { seconds: SECONDS, connections: 20 });
  const recoverMs: number[] = [];
  let probeErrors = 0;
  let probesHung = 0;
  const until = Date.now() + SECONDS * 1000 - KILL_EVERY_MS / 2;
  await sleep(KILL_EVERY_MS / 2);
  while (Date.now() < until) {
    const tick = Date.now();
    const victim = await answeringPid(url);
    if (typeof victim === 'number') {
      process.kill(victim, 'SIGKILL');
      const t0 = performance.now();
      for (;;) {
        const pid = await answeringPid(url);
        if (pid === 'hung') probesHung++;
        else if (pid === undefined) probeErrors++;
        else if (pid !== victim) break;
        if (performance.now() - t0 > 10_000) break;
        await sleep(2);
      }
      recoverMs.push(performance.now() - t0);
    }
    await sleep(Math.max(0, KILL_EVERY_MS - (Date.now() - tick)));
  }
  return { ...(await load), kills: recoverMs.length, recoverMs, probeErrors, probesHung };
}

async function tsgid(): Promise<Outcome> {
  const dir = scratch('crash-tsgid');
  writeFileSync(join(dir, 'hello.mjs'), `export default ${HELLO_PID};\n`);
  const port = await freePort();
  const d = await startTsgid(dir, `apps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 1\n`);
  try {
    return await chaos(`http://127.0.0.1:${port}/`);
  } finally {
    await d.stop();
  }
}

async function pm2(mode: 'fork' | 'cluster', port: number): Promise<Outcome> {
  const bin = pm2Bin();
  const dir = scratch(`crash-pm2-${mode}`);
  const env = { ...process.env, PM2_HOME: join(dir, '.pm2') };
  writeFileSync(join(dir, 'server.cjs'), `require('http').createServer(${HELLO_PID}).listen(${port}, '127.0.0.1');\n`);
  const args = mode === 'cluster' ? ['-i', '1'] : [];
  execFileSync(bin, ['start', join(dir, 'server.cjs'), ...args, '--name', 'hello'], { env, stdio: 'ignore' });
  try {
    const t0 = Date.now();
    while ((await answeringPid(`http://127.0.0.1:${port}/`)) === undefined && Date.now() - t0 < 10_000) await sleep(50);
    return await chaos(`http://127.0.0.1:${port}/`);
  } finally {
    execFileSync(bin, ['kill'], { env, stdio: 'ignore' });
  }
}

const runs: Array<[string, Outcome]> = [['tsgid, 1 worker', await tsgid()]];
if (!values['no-pm2']) {
  runs.push(['PM2 fork mode', await pm2('fork', await freePort())]);
  runs.push(['PM2 cluster mode, -i 1', await pm2('cluster', await freePort())]);
}

console.log(`\nCrash recovery — ${machine()}; wrk -t2 -c20 -d${SECONDS}s, hello world, 1 worker SIGKILLed every ${KILL_EVERY_MS / 1000} s; after each kill, GETs on fresh connections (${PROBE_TIMEOUT_MS} ms timeout) until a new pid answers\n`);
console.log(row(['run', 'kills', 'requests', 'req/s', 'wrk errors', 'wrk error detail', 'replacement answers after: median ms', 'max ms', 'probes refused/reset', 'probes hung']));
console.log(row(['---', '---:', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---:']));
for (const [name, r] of runs) {
  console.log(row([name, r.kills, r.requests, r.rps.toFixed(0), r.errors, r.detail, median(r.recoverMs).toFixed(0), Math.max(...r.recoverMs).toFixed(0), r.probeErrors, r.probesHung]));
}
