/**
 * What the process manager itself costs while its workers sit idle: CPU (% of one core, every
 * thread, to the nanosecond from /proc/<pid>/task/<tid>/schedstat) and RSS of tsgid, of a raw
 * node:cluster primary, and of PM2's daemon, each with the same number of idle hello-world
 * workers, measured over a window that starts `--settle` seconds after every worker is up.
 *
 *   npm run build && node dist/bench/daemon-footprint.js [--workers 100] [--settle 30] [--seconds 60] [--runs 3] [--only tsgid,cluster,PM2] [--bin DIR/dist/daemon/main.js] [--vs DIR/dist/daemon/main.js]
 *
 * tsgid runs with its defaults (stats_interval 1 s) and one app; nothing reads its API before or
 * during the window (it is told ready by READY=1, as under systemd); one request after it gives the
 * RSS with the admin API loaded too. `--bin` measures another build (a copy of its dist/), to compare two versions. `--vs`
 * runs that other build at the same time as tsgid, over the same window: an idle process's CPU
 * moves with the neighbours' load, so two builds are compared side by side, not one after another.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, cpuRunSeconds, HELLO, machine, median, pm2Bin, row, rssMB, scratch, sleep, stopTree, TSGID, waitUntil } from './lib.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '100' },
    settle: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: 'tsgid,cluster,PM2' },
    bin: { type: 'string', default: TSGID },
    vs: { type: 'string' },
  },
});
const WORKERS = Number(values.workers);
const SETTLE = Number(values.settle);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const ONLY = new Set(values.only.split(','));

interface Managed {
  /** the process manager's pid (tsgid, the cluster primary, PM2's God daemon) */
  pid: number;
  stop(): Promise<void>;
  /** tsgid: its RSS after one admin API request */
  apiRss?(): Promise<number>;
}

/**
 * tsgid as systemd runs it: ready is READY=1 (through a stand-in systemd-notify that records it),
 * so nothing asks its admin API before the window, which would load fastify (api/lazy-api.ts).
 * After the window, one API request, and the RSS again (`apiRss`).
 */
async function tsgid(bin: string): Promise<Managed> {
  const dir = scratch('footprint-tsgid');
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  writeFileSync(join(dir, 'tsgi.yaml'), `admin: { listen: "unix:admin.sock" }\napps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: ${WORKERS}\n`);
  mkdirSync(join(dir, 'bin'));
  const notified = join(dir, 'notified');
  writeFileSync(join(dir, 'bin/systemd-notify'), `#!/bin/sh\necho "$*" >> ${notified}\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, NOTIFY_SOCKET: join(dir, 'notify.sock') };
  const proc = spawn(process.execPath, [bin, '-c', join(dir, 'tsgi.yaml')], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitUntil(() => existsSync(notified) && readFileSync(notified, 'utf8').includes('READY=1'), 300_000);
  } catch (err) {
    await stopTree(proc.pid!);
    throw err;
  }
  return {
    pid: proc.pid!,
    async apiRss() {
      await adminGet(join(dir, 'admin.sock'), '/v1/apps');
      await sleep(3000);
      return rssMB(proc.pid!);
    },
    stop: () => stopTree(proc.pid!),
  };
}

const managers: Record<string, () => Promise<Managed[]>> = {
  async tsgid() {
    return Promise.all([tsgid(values.bin), ...(values.vs === undefined ? [] : [tsgid(values.vs)])]);
  },
  async cluster() {
    const dir = scratch('footprint-cluster');
    writeFileSync(join(dir, 'cluster.cjs'), `const cluster = require('node:cluster'); const http = require('node:http');
if (cluster.isPrimary) {
  let up = 0;
  for (let i = 0; i < ${WORKERS}; i++) cluster.fork().once('listening', () => { if (++up === ${WORKERS}) console.log('ready'); });
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
} else http.createServer((req, res) => res.end('hello world')).listen(0, '127.0.0.1');
`);
    const p: ChildProcess = spawn(process.execPath, [join(dir, 'cluster.cjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      p.once('exit', () => reject(new Error('the cluster primary exited')));
    });
    return [{ pid: p.pid!, stop: () => stopTree(p.pid!) }];
  },
  async PM2() {
    const pm2 = pm2Bin();
    const dir = scratch('footprint-pm2');
    const env = { ...process.env, PM2_HOME: join(dir, '.pm2') };
    writeFileSync(join(dir, 'server.cjs'), `require('http').createServer((req, res) => res.end('hello world')).listen(0, '127.0.0.1');\n`);
    execFileSync(pm2, ['start', join(dir, 'server.cjs'), '-i', String(WORKERS), '--name', 'hello'], { env, stdio: 'ignore' });
    await waitUntil(() => {
      const list = JSON.parse(execFileSync(pm2, ['jlist'], { env, encoding: 'utf8' })) as Array<{ pm2_env: { status: string } }>;
      return list.length === WORKERS && list.every((p) => p.pm2_env.status === 'online');
    }, 300_000);
    const pid = Number(readFileSync(join(dir, '.pm2/pm2.pid'), 'utf8'));
    return [{ pid, stop: async () => void execFileSync(pm2, ['kill'], { env, stdio: 'ignore' }) }];
  },
};

const results: Record<string, Array<{ cpu: number; rss: number; load: number; apiRss?: number }>> = {};
for (let r = 0; r < RUNS; r++) {
  for (const [name, start] of Object.entries(managers)) {
    if (!ONLY.has(name)) continue;
    const ms = await start();
    try {
      await sleep(SETTLE * 1000);
      const c0 = ms.map((m) => cpuRunSeconds(m.pid));
      const t0 = performance.now();
      await sleep(SECONDS * 1000);
      const s = (performance.now() - t0) / 1000;
      const figures = ms.map((m, k) => ({ cpu: ((cpuRunSeconds(m.pid) - c0[k]!) / s) * 100, rss: rssMB(m.pid), load: loadavg()[0]! }));
      for (const [k, m] of ms.entries()) {
        const label = k === 0 ? name : `${name} (--vs)`;
        (results[label] ??= []).push({ ...figures[k]!, ...(m.apiRss !== undefined && { apiRss: await m.apiRss() }) });
      }
    } finally {
      await Promise.all(ms.map((m) => m.stop()));
    }
  }
}

console.log(`\nProcess manager footprint — ${machine()}; ${WORKERS} idle hello-world workers, a ${SECONDS} s window ${SETTLE} s after start-up, ${RUNS} run(s)\n`);
console.log(row(['manager', 'CPU % of one core, per run', 'median', 'RSS MB, per run', 'median', 'RSS MB after one API request', 'load average (1 min) per run']));
console.log(row(['---', '---', '---:', '---', '---:', '---', '---']));
for (const [name, rs] of Object.entries(results)) {
  const api = rs.flatMap((x) => (x.apiRss === undefined ? [] : [x.apiRss.toFixed(1)])).join(' ');
  console.log(row([name, rs.map((x) => x.cpu.toFixed(3)).join(' '), median(rs.map((x) => x.cpu)).toFixed(3), rs.map((x) => x.rss.toFixed(1)).join(' '), median(rs.map((x) => x.rss)).toFixed(1), api === '' ? '—' : api, rs.map((x) => x.load.toFixed(1)).join(' ')]));
}
