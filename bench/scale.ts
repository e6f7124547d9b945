/**
 * Scale: 50 apps × 2 workers on one tsgid. Reported: time from spawning tsgid until every app is
 * running, the arbiter's RSS and idle CPU over a quiet window, `GET /v1/apps` latency (a status
 * of 100 workers), and time from SIGTERM until tsgid has stopped every worker and exited.
 *
 *   npm run build && node dist/bench/scale.js [--apps 50] [--workers 2] [--seconds 10]
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, HELLO, machine, median, row, scratch, sleep, TSGID, waitUntil, cpuSeconds, rssMB } from './lib.js';

const { values } = parseArgs({ options: { apps: { type: 'string', default: '50' }, workers: { type: 'string', default: '2' }, seconds: { type: 'string', default: '10' } } });
const APPS = Number(values.apps);
const WORKERS = Number(values.workers);
const SECONDS = Number(values.seconds);
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dir = scratch('scale');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
let yaml = 'admin: { listen: "unix:admin.sock" }\napps:\n';
for (let i = 0; i < APPS; i++) yaml += `  app${i}:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: ${WORKERS}\n`;
writeFileSync(join(dir, 'tsgi.yaml'), yaml);
const socket = join(dir, 'admin.sock');

type Status = { apps: Array<{ state: string; ready: number; workers: Array<{ pid?: number }> }> };
const t0 = performance.now();
const proc = spawn(process.execPath, [TSGID, '-c', join(dir, 'tsgi.yaml')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
await waitUntil(async () => {
  const s = await adminGet<Status>(socket, '/v1/apps').catch(() => undefined);
  return s !== undefined && s.apps.length === APPS && s.apps.every((a) => a.state === 'running' && a.ready === WORKERS);
}, 180_000);
const startMs = performance.now() - t0;
const pids = (await adminGet<Status>(socket, '/v1/apps')).apps.flatMap((a) => a.workers.map((w) => w.pid!));

await sleep(2000);
const c0 = cpuSeconds(proc.pid!);
const w0 = Date.now();
await sleep(SECONDS * 1000);
const cpu = ((cpuSeconds(proc.pid!) - c0) / ((Date.now() - w0) / 1000)) * 100;
const rss = rssMB(proc.pid!);

const lat: number[] = [];
for (let i = 0; i < 55; i++) {
  const t = performance.now();
  await adminGet(socket, '/v1/apps');
  if (i >= 5) lat.push(performance.now() - t);
}
lat.sort((a, b) => a - b);

const s0 = performance.now();
proc.kill('SIGTERM');
await exited;
const stopMs = performance.now() - s0;
const left = pids.filter(pidAlive).length;

console.log(`\nScale — ${machine()}; ${APPS} apps × ${WORKERS} workers (hello world) on one tsgid; idle window ${SECONDS} s\n`);
console.log(row(['workers', 'start all (spawn → all ready) s', 'arbiter RSS MB', 'arbiter idle CPU % of one core', 'GET /v1/apps median ms', 'p95 ms', 'max ms', 'stop all (SIGTERM → exit) s', 'workers left after exit']));
console.log(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
console.log(row([pids.length, (startMs / 1000).toFixed(1), rss.toFixed(0), cpu.toFixed(2), median(lat).toFixed(1), lat[Math.floor(lat.length * 0.95)]!.toFixed(1), lat.at(-1)!.toFixed(1), (stopMs / 1000).toFixed(2), left]));
