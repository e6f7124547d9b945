/**
 * Latency under a mixed workload, most requests cheap and a few CPU-heavy, one new connection per
 * request (so every request is routed): tsgid with `balance: round-robin` and with
 * `least-connections` against a raw node:cluster primary (round-robin), 2 workers each, a closed
 * loop of CONCURRENCY clients, rounds alternating the contenders; p50/p99 of the cheap requests
 * and of all, medians over the rounds.
 *
 *   npm run build && node dist/bench/balance-latency.js [--seconds 8] [--rounds 3] [--concurrency 16] [--heavy-every 20] [--heavy-ms 30]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, median, row, scratch, sleep, startTsgid, stopTree, waitUntil } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'heavy-every': { type: 'string', default: '20' },
    'heavy-ms': { type: 'string', default: '30' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const HEAVY_EVERY = Number(values['heavy-every']);
const HEAVY_MS = Number(values['heavy-ms']);
const PORT = 8730;

const HANDLER = `(req, res) => {
  if (req.url === '/heavy') { const end = Date.now() + ${HEAVY_MS}; while (Date.now() < end); }
  res.end('ok');
}`;

interface Stop {
  stop(): Promise<void>;
}

const contenders: Record<string, (dir: string) => Promise<Stop>> = {
  async 'raw node:cluster'(dir) {
    writeFileSync(join(dir, 'cluster.cjs'), `const cluster = require('node:cluster'); const http = require('node:http');
if (cluster.isPrimary) { for (let i = 0; i < 2; i++) cluster.fork(); process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); }); }
else http.createServer(${HANDLER}).listen(${PORT}, '127.0.0.1');\n`);
    const p = spawn(process.execPath, ['cluster.cjs'], { cwd: dir, stdio: 'ignore' });
    await waitUntil(() => get('/').then(() => true, () => false), 30_000);
    return { stop: () => stopTree(p.pid!) };
  },
  'tsgid round-robin': (dir) => tsgid(dir, 'round-robin'),
  'tsgid least-connections': (dir) => tsgid(dir, 'least-connections'),
};

async function tsgid(dir: string, balance: string): Promise<Stop> {
  writeFileSync(join(dir, 'app.mjs'), `export default ${HANDLER};\n`);
  const t = await startTsgid(dir, `apps:\n  mixed:\n    app: ./app.mjs\n    listen: "127.0.0.1:${PORT}"\n    workers: 2\n    balance: ${balance}\n`);
  return t;
}

function get(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: PORT, path, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

interface Result {
  cheap: number[];
  all: number[];
  errors: number;
}

async function load(): Promise<Result> {
  const r: Result = { cheap: [], all: [], errors: 0 };
  const until = performance.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      const heavy = ++n % HEAVY_EVERY === 0;
      const t0 = performance.now();
      try {
        await get(heavy ? '/heavy' : '/');
      } catch {
        r.errors++;
        continue;
      }
      const ms = performance.now() - t0;
      r.all.push(ms);
      if (!heavy) r.cheap.push(ms);
    }
  }));
  return r;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const figures: Record<string, Array<{ p50: number; p99: number; p50all: number; p99all: number; rps: number; errors: number }>> = {};
console.log(`# balance-latency: ${machine()}; ${CONCURRENCY} clients, 1 request in ${HEAVY_EVERY} busy for ${HEAVY_MS} ms, ${SECONDS}s x ${ROUNDS} rounds, a new connection per request`);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, start] of Object.entries(contenders)) {
    const s = await start(scratch('balance'));
    try {
      await load(); // warm-up, not counted
      const r = await load();
      (figures[name] ??= []).push({ p50: pct(r.cheap, 50), p99: pct(r.cheap, 99), p50all: pct(r.all, 50), p99all: pct(r.all, 99), rps: r.all.length / SECONDS, errors: r.errors });
    } finally {
      await s.stop();
    }
    await sleep(500);
  }
}
console.log(row(['server', 'cheap p50 ms', 'cheap p99 ms', 'all p50 ms', 'all p99 ms', 'req/s', 'errors']));
for (const [name, xs] of Object.entries(figures)) {
  const m = (k: 'p50' | 'p99' | 'p50all' | 'p99all' | 'rps' | 'errors'): number => median(xs.map((x) => x[k]));
  console.log(row([name, m('p50').toFixed(2), m('p99').toFixed(2), m('p50all').toFixed(2), m('p99all').toFixed(2), m('rps').toFixed(0), m('errors')]));
}
