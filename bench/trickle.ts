/**
 * A trickled request body against a 2-worker app (max_connections 1000 per worker, so 2000
 * places): 2100 connections each send a POST head with `Content-Length: 1000000`, then one body
 * byte every 3 s, and open a new one whenever the server closes one, so 2100 trickle all along.
 * Meanwhile one client makes 20 ordinary GETs a second, each on a new connection, and records
 * status and latency. Run with the defaults (min_body_rate 240 B/s after 5s) and with
 * `min_body_rate: 0` (tsgi before it).
 *
 *   npm run build && node dist/bench/trickle.js [seconds]
 */
import http from 'node:http';
import net from 'node:net';
import { freePort, machine, row, scratch, sleep, startTsgid } from './lib.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TRICKLERS = 2100;
const WARMUP_S = 10;
const SECONDS = Number(process.argv[2] ?? 30);
const APP = `export default (req, res) => { req.resume(); req.on('end', () => res.end('ok')); };\n`;

interface Result {
  statuses: Map<string, number>;
  latencies: number[];
  cut: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function run(label: string, extra: string): Promise<string> {
  const dir = scratch('trickle');
  writeFileSync(join(dir, 'app.mjs'), APP);
  const port = await freePort();
  const tsgid = await startTsgid(dir, `apps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 2\n${extra}`);
  const result: Result = { statuses: new Map(), latencies: [], cut: 0 };
  let stopping = false;
  const open = new Set<net.Socket>();
  const trickle = (): void => {
    const s = net.connect(port, '127.0.0.1');
    open.add(s);
    s.on('error', () => {});
    s.on('connect', () => s.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'));
    s.on('close', () => {
      open.delete(s);
      if (stopping) return;
      result.cut++;
      trickle();
    });
  };
  for (let i = 0; i < TRICKLERS; i++) trickle();
  const drip = setInterval(() => {
    for (const s of open) if (s.writable && !s.connecting) s.write('a');
  }, 3000);
  try {
    await sleep(WARMUP_S * 1000);
    result.cut = 0;
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const t0 = performance.now();
      const status = await new Promise<string>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
      });
      result.latencies.push(performance.now() - t0);
      result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
      await sleep(Math.max(0, 50 - (performance.now() - t0)));
    }
  } finally {
    stopping = true;
    clearInterval(drip);
    for (const s of open) s.destroy();
    await tsgid.stop();
  }
  const statuses = [...result.statuses].map(([s, n]) => `${n}× ${s}`).join(', ');
  return row([label, statuses, percentile(result.latencies, 50).toFixed(1), percentile(result.latencies, 99).toFixed(1), result.cut]);
}

const rows = [
  row(['tsgi settings', `ordinary GETs over ${SECONDS}s`, 'p50 ms', 'p99 ms', 'trickling connections closed by the server']),
  row(['---', '---', '---', '---', '---']),
  await run('defaults (min_body_rate 240, grace 5s)', ''),
  await run('min_body_rate: 0', '    min_body_rate: 0\n'),
];
console.log(`${machine()}; ${TRICKLERS} trickling connections (1 byte / 3 s each), ${WARMUP_S}s before measuring\n`);
console.log(rows.join('\n'));
