/**
 * Hot reload latency: from a saved file to the new code answering, with `watch: true` (debounce
 * 300 ms), 2 workers, a hello-world app (its own boot time is part of the figure).
 *
 *   npm run build && node dist/bench/watch-latency.js [--saves 10]
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, median, row, scratch, sleep, startTsgid } from './lib.js';

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
try {
  for (let i = 1; i <= SAVES; i++) {
    await sleep(500);
    const t0 = performance.now();
    write(`v${i}`);
    while ((await body('http://127.0.0.1:8730/')) !== `v${i}`) await sleep(5);
    times.push(performance.now() - t0);
  }
} finally {
  await d.stop();
}
console.log(`\nHot reload — ${machine()}; save → first answer from the new code, debounce 300 ms, 2 workers, ${SAVES} saves\n`);
console.log(row(['median ms', 'min ms', 'max ms']));
console.log(row(['---:', '---:', '---:']));
console.log(row([median(times).toFixed(0), Math.min(...times).toFixed(0), Math.max(...times).toFixed(0)]));
