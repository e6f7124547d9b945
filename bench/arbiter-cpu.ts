/**
 * The arbiter's own cost with 1, 20 and 100 idle workers under the stats sampler (stats_interval
 * 1 s): CPU (% of one core) and RSS of the tsgid process over a quiet window, from /proc.
 *
 *   npm run build && node dist/bench/arbiter-cpu.js [--seconds 20]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELLO, machine, row, scratch, sleep, cpuSeconds, rssMB, startTsgid } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const SECONDS = Number(values.seconds);
console.log(`\nArbiter cost — ${machine()}; idle workers, stats_interval 1s, ${SECONDS}s window after start-up\n`);
console.log(row(['workers', 'apps × workers', 'arbiter CPU % of one core', 'arbiter RSS MB']));
console.log(row(['---:', '---', '---:', '---:']));
for (const [apps, per] of [[1, 1], [10, 2], [50, 2]] as const) {
  const dir = scratch('cpu');
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  let yaml = 'stats_interval: 1s\napps:\n';
  for (let i = 0; i < apps; i++) yaml += `  app${i}:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: ${per}\n`;
  const d = await startTsgid(dir, yaml);
  await sleep(2000);
  const t0 = cpuSeconds(d.proc.pid!);
  const w0 = Date.now();
  await sleep(SECONDS * 1000);
  const cpu = ((cpuSeconds(d.proc.pid!) - t0) / ((Date.now() - w0) / 1000)) * 100;
  console.log(row([apps * per, `${apps} × ${per}`, cpu.toFixed(2), rssMB(d.proc.pid!).toFixed(0)]));
  await d.stop();
}
