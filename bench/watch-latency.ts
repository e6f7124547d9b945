/**
 * Hot reload latency: from a saved file to the new code answering, with `watch: true` (debounce
 * 300 ms), 2 workers, a hello-world app (its own boot time is part of the figure). Each save is
 * split, from the daemon's status, into: save → the first new worker spawned (the watcher's event,
 * the debounce, the reload's way through the loop), that worker's boot (spawned → ready), and the
 * rest (ready → the first new answer seen). The target: total ≤ debounce + boot + 100 ms.
 *
 *   npm run build && node dist/bench/watch-latency.js [--saves 10]
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, machine, median, row, scratch, sleep, startTsgid } from './lib.js';

const { values } = parseArgs({ options: { saves: { type: 'string', default: '10' } } });
const SAVES = Number(values.saves);

function body(url: string): Promise<string> {
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    }).on('error', () => resolve(''));
  });
}

const dir = scratch('watch');
const write = (v: string) => writeFileSync(join(dir, 'app.mjs'), `export default (req, res) => res.end('${v}');\n`);
write('v0');
const d = await startTsgid(dir, `apps:\n  web:\n    app: ./app.mjs\n    listen: "127.0.0.1:8730"\n    workers: 2\n    watch: true\n`);
const times: number[] = [];
const toSpawn: number[] = [];
const boots: number[] = [];
const rest: number[] = [];
interface Worker { generation: number; started_at: number; ready_at: number | null }
try {
  for (let i = 1; i <= SAVES; i++) {
    await sleep(500);
    const t0 = performance.now();
    const wall0 = Date.now();
    write(`v${i}`);
    while ((await body('http://127.0.0.1:8730/')) !== `v${i}`) await sleep(5);
    const total = performance.now() - t0;
    times.push(total);
    // the new generation's first ready worker (the old ones may still be draining)
    const { app: st } = await adminGet<{ app: { workers: Worker[] } }>(d.socket, '/v1/apps/web');
    const top = Math.max(...st.workers.map((w) => w.generation));
    const first = st.workers.filter((w) => w.generation === top && w.ready_at !== null).sort((a, b) => a.ready_at! - b.ready_at!)[0];
    if (first !== undefined) {
      toSpawn.push(first.started_at - wall0);
      boots.push(first.ready_at! - first.started_at);
      rest.push(total - (first.ready_at! - wall0));
    }
    // the reload finished (old workers gone) before the next save
    while ((await adminGet<{ app: { state: string } }>(d.socket, '/v1/apps/web')).app.state !== 'running') await sleep(20);
  }
} finally {
  await d.stop();
}
console.log(`\nHot reload — ${machine()}; save → first answer from the new code, debounce 300 ms, 2 workers, ${SAVES} saves\n`);
console.log(row(['', 'median ms', 'min ms', 'max ms']));
console.log(row(['---', '---:', '---:', '---:']));
for (const [name, xs] of [['save → first new answer', times], ['save → first new worker spawned', toSpawn], ['its boot (spawned → ready)', boots], ['ready → first new answer', rest]] as const) {
  console.log(row([name, median(xs).toFixed(0), Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0)]));
}
console.log(`\nover the target (debounce 300 + boot + 100), per save: ${times.map((t, k) => (t - 300 - (boots[k] ?? NaN) - 100).toFixed(0)).join(' ')} ms; load average ${loadavg()[0]!.toFixed(1)}`);
