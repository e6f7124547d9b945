/**
 * Throughput and latency, hello world and a ~1 ms JSON endpoint, 2 workers each: tsgid vs a raw
 * node:cluster script vs one plain node:http process vs PM2 cluster mode, and tsgid running the
 * app PM2 runs (one that calls listen() itself) unmodified, 50 keep-alive
 * connections, alternating A/B/C/D per round; medians and the ratio to raw cluster.
 *
 *   npm run build && node dist/bench/throughput.js [--seconds 10] [--rounds 3] [--no-pm2]
 *     [--only tsgid,raw]        contenders whose name contains one of these
 *     [--apps hello]            which apps
 *     [--baseline DIR]          also run DIR's build of tsgid (DIR/dist/daemon/main.js), e.g. an
 *                               unpacked `git archive` of an older commit: an A/B of two versions
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, median, pm2Bin, row, scratch, sleep, startTsgid, treeCpuSeconds, waitUntil, wrk, type WrkResult } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'no-pm2': { type: 'boolean', default: false },
    only: { type: 'string' },
    apps: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const PORT = 8720;

/** The two apps, as node listeners: what every contender serves. */
const APPS = {
  hello: `(req, res) => res.end('hello world')`,
  json: `(req, res) => { const end = performance.now() + 1; let n = 0; while (performance.now() < end) n++; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ ok: true, n })); }`,
};

/** `pid`: the root of the contender's process tree, whose CPU time is read around the measured run (absent for PM2, whose daemon is not ours). */
type Contender = (dir: string, handler: string) => Promise<{ stop: () => Promise<void>; pid?: number }>;

function child(args: string[], dir: string): ChildProcess {
  return spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
}

async function listening(): Promise<void> {
  await waitUntil(() => fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.ok, () => false), 30_000);
}

function killed(p: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (p.exitCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

const contenders: Record<string, Contender> = {
  async tsgid(dir, handler) {
    writeFileSync(join(dir, 'app.mjs'), `export default ${handler};\n`);
    const d = await startTsgid(dir, `apps:\n  bench:\n    app: ./app.mjs\n    listen: "127.0.0.1:${PORT}"\n    workers: 2\n`);
    return { stop: d.stop, pid: d.proc.pid };
  },
  // the same unmodified server.cjs PM2 runs: it calls listen() itself (interface: listen, docs/TSGI.md §3.5)
  async 'tsgid listen()'(dir, handler) {
    writeFileSync(join(dir, 'server.cjs'), `require('node:http').createServer(${handler}).listen(${PORT}, '127.0.0.1');\n`);
    const d = await startTsgid(dir, `apps:\n  bench:\n    app: ./server.cjs\n    listen: "127.0.0.1:${PORT}"\n    workers: 2\n`);
    return { stop: d.stop, pid: d.proc.pid };
  },
  async 'raw node:cluster'(dir, handler) {
    writeFileSync(join(dir, 'cluster.cjs'), `const cluster = require('node:cluster'); const http = require('node:http');
if (cluster.isPrimary) { for (let i = 0; i < 2; i++) cluster.fork(); process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); }); }
else http.createServer(${handler}).listen(${PORT}, '127.0.0.1');\n`);
    const p = child(['cluster.cjs'], dir);
    await listening();
    return { stop: killed(p), pid: p.pid };
  },
  async 'single node:http'(dir, handler) {
    writeFileSync(join(dir, 'single.cjs'), `require('node:http').createServer(${handler}).listen(${PORT}, '127.0.0.1');\n`);
    const p = child(['single.cjs'], dir);
    await listening();
    return { stop: killed(p), pid: p.pid };
  },
  async 'PM2 cluster'(dir, handler) {
    const pm2 = pm2Bin();
    const env = { ...process.env, PM2_HOME: join(dir, '.pm2') };
    writeFileSync(join(dir, 'server.cjs'), `require('node:http').createServer(${handler}).listen(${PORT}, '127.0.0.1');\n`);
    execFileSync(pm2, ['start', join(dir, 'server.cjs'), '-i', '2'], { env, stdio: 'ignore' });
    await listening();
    return { stop: async () => void execFileSync(pm2, ['kill'], { env, stdio: 'ignore' }) };
  },
};
if (values.baseline !== undefined) {
  const bin = join(values.baseline, 'dist/daemon/main.js');
  contenders['tsgid baseline'] = async (dir, handler) => {
    writeFileSync(join(dir, 'app.mjs'), `export default ${handler};\n`);
    const d = await startTsgid(dir, `apps:\n  bench:\n    app: ./app.mjs\n    listen: "127.0.0.1:${PORT}"\n    workers: 2\n`, bin);
    return { stop: d.stop, pid: d.proc.pid };
  };
}
if (values['no-pm2']) delete contenders['PM2 cluster'];
if (values.only !== undefined) {
  const wanted = values.only.split(',');
  for (const name of Object.keys(contenders)) if (!wanted.some((w) => name.includes(w))) delete contenders[name];
}
if (values.apps !== undefined) for (const name of Object.keys(APPS)) if (!values.apps.split(',').includes(name)) delete APPS[name as keyof typeof APPS];

for (const [appName, handler] of Object.entries(APPS)) {
  const results: Record<string, WrkResult[]> = {};
  /** per contender and round: CPU microseconds its processes spent per request served */
  const cpuPerRequest: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of Object.entries(contenders)) {
      const { stop, pid } = await start(scratch('tp'), handler);
      await wrk(`http://127.0.0.1:${PORT}/`, { seconds: 2 }); // warm-up
      const cpu0 = pid === undefined ? 0 : treeCpuSeconds(pid);
      const r = await wrk(`http://127.0.0.1:${PORT}/`, { seconds: SECONDS });
      if (pid !== undefined) (cpuPerRequest[name] ??= []).push(((treeCpuSeconds(pid) - cpu0) / r.requests) * 1e6);
      (results[name] ??= []).push(r);
      await stop();
      await sleep(500);
    }
  }
  const base = median((results['raw node:cluster'] ?? Object.values(results)[0]!).map((r) => r.rps));
  console.log(`\nThroughput, ${appName} — ${machine()}; wrk -t2 -c50 -d${SECONDS}s --latency, 2 workers, ${ROUNDS} rounds alternating, medians\n`);
  console.log(row(['server', 'req/s', '× raw cluster', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const [name, rs] of Object.entries(results)) {
    const rps = median(rs.map((r) => r.rps));
    console.log(row([name, rps.toFixed(0), (rps / base).toFixed(3), median(rs.map((r) => r.p50ms)).toFixed(2), median(rs.map((r) => r.p99ms)).toFixed(2), rs.reduce((a, r) => a + r.errors, 0), cpuPerRequest[name] ? median(cpuPerRequest[name]).toFixed(1) : '—']));
  }
  // the spread behind the medians: each round's req/s, and each round's ratio to the first contender of that round
  const names = Object.keys(results);
  console.log(`\nper round (req/s): ${names.map((n) => `${n}: ${results[n]!.map((r) => r.rps.toFixed(0)).join(' ')}`).join('; ')}`);
  console.log(`per round (CPU µs/req): ${names.filter((n) => cpuPerRequest[n]).map((n) => `${n}: ${cpuPerRequest[n]!.map((c) => c.toFixed(1)).join(' ')}`).join('; ')}`);
  for (const n of names.slice(1)) console.log(`per round ${n} / ${names[0]}: ${results[n]!.map((r, i) => (r.rps / results[names[0]!]![i]!.rps).toFixed(3)).join(' ')}`);
}
