/**
 * Orphan exit: how long workers outlive a SIGKILLed tsgid. Each round starts tsgid with 3 workers
 * of one app, puts one in a busy loop (its event loop never sees the IPC channel close), SIGKILLs
 * tsgid, and times each worker's disappearance (polled every 5 ms; a zombie counts as gone).
 * `--burn N` runs N busy processes meanwhile, for a loaded machine. Target: all gone within 1.5 s.
 *
 *   npm run build && node dist/bench/orphan-exit.js [--rounds 5] [--burn 0]
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, freePort, machine, median, row, scratch, sleep, startTsgid } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, burn: { type: 'string', default: '0' } } });
const ROUNDS = Number(values.rounds);
const BURN = Number(values.burn);
const APP = `export default (req, res) => {
  res.end(String(process.pid));
  if (req.url === '/spin') setImmediate(() => { for (;;); });
};\n`;

function gone(pid: number): boolean {
  try {
    // reparented to init, it is reaped at once; a zombie left behind is gone all the same
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

function getPid(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(Number(body)));
    }).on('error', reject);
  });
}

async function round(): Promise<{ busy: number; others: number[] }> {
  const dir = scratch('orphan-exit');
  writeFileSync(join(dir, 'app.mjs'), APP);
  const port = await freePort();
  const d = await startTsgid(dir, `apps:\n  a:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 3\n`);
  const s = await adminGet<{ apps: Array<{ workers: Array<{ pid: number }> }> }>(d.socket, '/v1/apps');
  const pids = s.apps[0]!.workers.map((w) => w.pid);
  const busy = await getPid(`http://127.0.0.1:${port}/spin`);
  await sleep(200);
  const t0 = performance.now();
  d.proc.kill('SIGKILL');
  const at = new Map<number, number>();
  while (at.size < pids.length && performance.now() - t0 < 30_000) {
    for (const pid of pids) if (!at.has(pid) && gone(pid)) at.set(pid, performance.now() - t0);
    await sleep(5);
  }
  for (const pid of pids) if (!at.has(pid)) process.kill(pid, 'SIGKILL');
  return { busy: at.get(busy) ?? Infinity, others: pids.filter((p) => p !== busy).map((p) => at.get(p) ?? Infinity) };
}

const burners = Array.from({ length: BURN }, () => spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' }));
try {
  const busy: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round();
    busy.push(r.busy);
    others.push(...r.others);
  }
  console.log(`\nOrphan exit — ${machine()}; ${ROUNDS} rounds, 3 workers (1 in a busy loop), ${BURN} busy processes beside; ms from SIGKILL of tsgid until each worker is gone\n`);
  console.log(row(['worker', 'median ms', 'max ms']));
  console.log(row(['---', '---:', '---:']));
  console.log(row(['busy-looping', median(busy).toFixed(0), Math.max(...busy).toFixed(0)]));
  console.log(row(['idle', median(others).toFixed(0), Math.max(...others).toFixed(0)]));
} finally {
  for (const b of burners) b.kill('SIGKILL');
}
