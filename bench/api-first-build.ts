/**
 * How long the admin API's first build (api/lazy-api.ts) holds the arbiter's event loop, during
 * which no app's new connection is accepted. Each run starts a fresh tsgid (one app, one worker),
 * waits until the app answers and the daemon has sat idle a second, then sends one admin request
 * (`GET /v1/health`, what a readiness probe sends: the API is built on it) and watches for
 * `--window` ms: the background compiles after ready() count too.
 *
 *   npm run build && node dist/bench/api-first-build.js [--runs 5] [--window 1500] [--bin DIR/dist/daemon/main.js]
 *
 * Inside tsgid, a preload (`node --import`) chains 1 ms timers and records every gap between two of
 * them longer than 3 ms (its end, its length, and the process's CPU time over it: a long gap with
 * little CPU is the machine's other processes, not the arbiter's work). Outside, a client opens a
 * new connection to the app (`Connection: close`) one after another over the same window: the
 * latency an app's clients see. Reported per run: the build (the admin request's latency), the
 * longest stall and its CPU, stalls over 30 ms, the app's worst new-connection latency against an
 * idle window before the request, and tsgid's RSS before and after. `--bin` measures another build.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, HELLO, machine, median, row, rssMB, scratch, sleep, stopTree, TSGID, waitUntil } from './lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    window: { type: 'string', default: '1500' },
    bin: { type: 'string', default: TSGID },
  },
});
const RUNS = Number(values.runs);
const WINDOW_MS = Number(values.window);

/** the preload: gaps between 1 ms timers, written at exit to `$TSGI_BENCH_STALLS.<pid>` */
const PROBE = `
import { writeFileSync } from 'node:fs';
const out = process.env.TSGI_BENCH_STALLS;
const gaps = [];
let last = performance.now();
let cpu = process.cpuUsage();
const tick = () => {
  const now = performance.now();
  const gap = now - last - 1;
  if (gap > 3) {
    const used = process.cpuUsage(cpu);
    gaps.push([performance.timeOrigin + now, gap, (used.user + used.system) / 1000]);
  }
  cpu = process.cpuUsage();
  last = performance.now();
  setTimeout(tick, 1).unref();
};
setTimeout(tick, 1).unref();
process.on('exit', () => { if (out) writeFileSync(out + '.' + process.pid, JSON.stringify(gaps)); });
`;

interface Stall {
  at: number;
  ms: number;
  cpuMs: number;
}

interface Run {
  buildMs: number;
  worst: Stall;
  over30: number;
  idleWorstMs: number;
  appIdleWorstMs: number;
  appWorstMs: number;
  rssBefore: number;
  rssAfter: number;
}

function get(options: http.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...options, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** new connections to the app one after another for `ms`: the worst latency */
async function appLatency(port: number, ms: number): Promise<number> {
  let worst = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    await get({ host: '127.0.0.1', port, path: '/' });
    worst = Math.max(worst, performance.now() - t);
  }
  return worst;
}

async function once(bin: string): Promise<Run> {
  const dir = scratch('api-first-build');
  const port = await freePort();
  writeFileSync(join(dir, 'app.mjs'), HELLO);
  writeFileSync(join(dir, 'probe.mjs'), PROBE);
  writeFileSync(join(dir, 'tsgi.yaml'), `admin: { listen: "unix:admin.sock" }\napps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 1\n`);
  const stalls = join(dir, 'stalls');
  const proc = spawn(process.execPath, ['--import', join(dir, 'probe.mjs'), bin, '-c', join(dir, 'tsgi.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TSGI_BENCH_STALLS: stalls },
  });
  try {
    // ready without asking the admin API, which would build it
    await waitUntil(() => get({ host: '127.0.0.1', port, path: '/' }).then((r) => r.status === 200, () => false), 60_000);
    await sleep(1000);
    const idleFrom = Date.now();
    const appIdleWorstMs = await appLatency(port, WINDOW_MS);
    const rssBefore = rssMB(proc.pid!);
    const from = Date.now();
    const t = performance.now();
    const app = appLatency(port, WINDOW_MS);
    const health = await get({ socketPath: join(dir, 'admin.sock'), path: '/v1/health' });
    const buildMs = performance.now() - t;
    if (health.status !== 200) throw new Error(`GET /v1/health: ${health.status} ${health.body}`);
    const appWorstMs = await app;
    await sleep(Math.max(0, from + WINDOW_MS - Date.now()));
    const rssAfter = rssMB(proc.pid!);
    await stopTree(proc.pid!);
    const file = `${stalls}.${proc.pid}`;
    if (!existsSync(file)) throw new Error(`the probe wrote no ${file}`);
    const all = (JSON.parse(readFileSync(file, 'utf8')) as Array<[number, number, number]>).map(([at, ms, cpuMs]) => ({ at, ms, cpuMs }));
    const during = all.filter((s) => s.at >= from && s.at <= from + WINDOW_MS);
    const idle = all.filter((s) => s.at >= idleFrom && s.at < from);
    const worst = during.reduce((a, s) => (s.ms > a.ms ? s : a), { at: 0, ms: 0, cpuMs: 0 });
    return { buildMs, worst, over30: during.filter((s) => s.ms > 30).length, idleWorstMs: Math.max(0, ...idle.map((s) => s.ms)), appIdleWorstMs, appWorstMs, rssBefore, rssAfter };
  } finally {
    await stopTree(proc.pid!);
  }
}

console.log(`# api-first-build: ${machine()}; ${RUNS} runs, window ${WINDOW_MS} ms; ${values.bin}`);
console.log(row(['run', 'load', 'build ms', 'worst stall ms', 'its CPU ms', 'stalls > 30 ms', 'idle worst ms', 'app worst ms (idle)', 'RSS MB before → after']));
const runs: Run[] = [];
for (let i = 1; i <= RUNS; i++) {
  const load = loadavg()[0]!.toFixed(1);
  const r = await once(resolve(values.bin));
  runs.push(r);
  console.log(row([i, load, r.buildMs.toFixed(0), r.worst.ms.toFixed(1), r.worst.cpuMs.toFixed(1), r.over30, r.idleWorstMs.toFixed(1), `${r.appWorstMs.toFixed(1)} (${r.appIdleWorstMs.toFixed(1)})`, `${r.rssBefore.toFixed(1)} → ${r.rssAfter.toFixed(1)}`]));
}
const med = (f: (r: Run) => number): string => median(runs.map(f)).toFixed(1);
console.log(row(['median', loadavg()[0]!.toFixed(1), med((r) => r.buildMs), med((r) => r.worst.ms), med((r) => r.worst.cpuMs), med((r) => r.over30), med((r) => r.idleWorstMs), `${med((r) => r.appWorstMs)} (${med((r) => r.appIdleWorstMs)})`, `${med((r) => r.rssBefore)} → ${med((r) => r.rssAfter)}`]));
