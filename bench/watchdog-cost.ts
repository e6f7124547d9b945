/**
 * What the orphan watchdog thread (daemon/worker/orphan-watchdog.ts) costs an idle worker: CPU over
 * a window (schedstat, to the nanosecond) and memory (RSS, and Private_Dirty, the part no other
 * process shares), this build against a copy of it with the watchdog's start patched out of the
 * worker bundle. 4 idle hello-world workers each.
 *
 *   npm run build && node dist/bench/watchdog-cost.js [--seconds 30]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { copyBuild, patchOnce } from './build-copy.js';
import { adminGet, cpuRunSeconds, HELLO, machine, median, row, scratch, sleep, startTsgid, TSGID } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const SECONDS = Number(values.seconds);

function memoryMB(pid: number): { rss: number; private: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('Rss') / 1024, private: kb('Private_Dirty') / 1024 };
}

async function measure(name: string, bin: string): Promise<string[]> {
  const dir = scratch(`watchdog-${name}`);
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  const d = await startTsgid(dir, 'apps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: 4\n', bin);
  try {
    const s = await adminGet<{ apps: Array<{ workers: Array<{ pid: number }> }> }>(d.socket, '/v1/apps');
    const pids = s.apps[0]!.workers.map((w) => w.pid);
    await sleep(3000);
    const cpu0 = pids.map(cpuRunSeconds);
    await sleep(SECONDS * 1000);
    const cpuMs = pids.map((p, i) => ((cpuRunSeconds(p) - cpu0[i]!) * 1000) / SECONDS);
    const mem = pids.map(memoryMB);
    return [name, median(cpuMs).toFixed(3), median(mem.map((m) => m.rss)).toFixed(1), median(mem.map((m) => m.private)).toFixed(1)];
  } finally {
    await d.stop();
  }
}

const without = copyBuild('watchdog-off');
patchOnce(join(without, 'dist/daemon/worker/bundle.js'), 'startOrphanWatchdog(ORPHAN_KILL_MS);', '', 'bench/watchdog-cost.ts');
const rows = [await measure('with watchdog (this build)', TSGID), await measure('watchdog patched out', join(without, 'dist/daemon/main.js'))];
console.log(`\nWatchdog cost — ${machine()}; 4 idle hello-world workers, medians per worker over ${SECONDS} s\n`);
console.log(row(['build', 'CPU ms per s', 'RSS MB', 'Private_Dirty MB']));
console.log(row(['---', '---:', '---:', '---:']));
for (const r of rows) console.log(row(r));
