/**
 * What a tsgid worker runs by the clock, in instructions per second while it serves nothing: its
 * heartbeat, its sweeps, Node's connections check, the orphan watchdog's thread. Under valgrind a
 * cycle of bench/instructions.ts lasts 5–40 s, so this is charged to its requests (tens to
 * hundreds of instructions each); bench/instructions.ts's own idle figure is one window right
 * after the warm-up, which now and then catches a garbage collection or a compile (a single window
 * has read 35 000 and 460 000 for the same build). Here each build's worker (the bench's callgrind
 * wrapper, as in bench/instructions.ts) is warmed up, left to settle, then counted over several
 * windows, the builds' windows interleaved; the median and the range are reported.
 *
 *   npm run build && node dist/bench/worker-idle.js [--settle 30] [--windows 5] [--seconds 10] [--baseline DIR[,DIR…]]
 *
 * A raw node:cluster worker serving the same app idles at ~2 000 instructions a second (bench/instructions.ts).
 */
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { copyBuild, patchOnce } from './build-copy.js';
import { dumpIr, wrapper, zero } from './callgrind.js';
import { children, freePort, HELLO, machine, median, ROOT, row, sleep, startTsgid, stopTree, waitUntil } from './lib.js';

const { values } = parseArgs({
  options: {
    settle: { type: 'string', default: '30' },
    windows: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3000' },
    baseline: { type: 'string' },
  },
});
const SETTLE_S = Number(values.settle);
const WINDOWS = Number(values.windows);
const WINDOW_S = Number(values.seconds);
const WARMUP = Number(values.warmup);
if (![SETTLE_S, WINDOWS, WINDOW_S, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || WINDOWS === 0 || WINDOW_S === 0) throw new Error('--settle, --windows, --seconds and --warmup take whole numbers (windows and seconds above 0)');
/** under valgrind a worker takes seconds to boot, and much longer while the machine is busy */
const READY_MS = 180_000;

interface Worker {
  name: string;
  dir: string;
  port: number;
  pid: number;
  rates: number[];
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => res.resume().once('end', () => done(res.statusCode === 200))).once('error', () => done(false));
  });
}

/** `n` GETs over 10 keep-alive connections, closed at the end: V8 has compiled the request path, as in a bench cycle. */
async function warm(port: number, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  let left = n;
  const one = (): Promise<void> =>
    new Promise((done, fail) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().once('end', done)).once('error', fail);
    });
  try {
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (left-- > 0) await one();
    }));
  } finally {
    agent.destroy();
  }
}

async function start(name: string, root: string): Promise<Worker> {
  const dir = copyBuild('worker-idle', root);
  const ops = ['dist/daemon/os/process-ops.js', 'dist/daemon/process-ops.js'].map((f) => join(dir, f)).find((f) => existsSync(f)) ?? join(dir, 'dist/daemon/os/process-ops.js');
  patchOnce(ops, 'execArgv: [],', `execArgv: [], execPath: ${JSON.stringify(wrapper(dir))},`, 'bench/worker-idle.ts');
  const port = await freePort();
  writeFileSync(join(dir, 'app.mjs'), HELLO);
  const yaml = `apps:\n  bench:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 1\n    boot_timeout: 120s\n    timeout: 120s\n`;
  const d = await startTsgid(dir, yaml, join(dir, 'dist/daemon/main.js'), READY_MS);
  const stop = (): Promise<void> => stopTree(d.proc.pid!);
  try {
    await waitUntil(() => answers(port), READY_MS);
    const kids = children(d.proc.pid!);
    if (kids.length !== 1) throw new Error(`expected tsgid to have one child (the worker), found ${kids.length}`);
    return { name, dir, port, pid: kids[0]!, rates: [], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const builds: Array<[string, string]> = [['tsgid', ROOT], ...(values.baseline?.split(',') ?? []).map((d): [string, string] => [`tsgid ${basename(resolve(d))}`, resolve(d)])];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void Promise.all(children(process.pid).map((pid) => stopTree(pid))).then(() => process.exit(130)));
}
const running: Worker[] = [];
try {
  for (const [name, root] of builds) {
    const w = await start(name, root);
    running.push(w);
    await warm(w.port, WARMUP);
  }
  await sleep(SETTLE_S * 1000);
  for (let i = 0; i < WINDOWS; i++) {
    for (const w of running) {
      const t0 = performance.now();
      zero(w.pid);
      await sleep(WINDOW_S * 1000);
      const ir = dumpIr(w.pid, w.dir);
      w.rates.push(ir / ((performance.now() - t0) / 1000));
      process.stderr.write(`${w.name}: window ${i + 1}: ${w.rates.at(-1)!.toFixed(0)} instructions/s\n`);
    }
  }
} finally {
  for (const w of running) await w.stop();
}

console.log(`\nAn idle tsgid worker, instructions per second (callgrind Ir) — ${machine()}; ${WARMUP} requests to warm up, ${SETTLE_S} s to settle, ${WINDOWS} windows of ${WINDOW_S} s, interleaved\n`);
console.log(row(['build', ...Array.from({ length: WINDOWS }, (_, i) => `window ${i + 1}`), 'median', 'min–max']));
console.log(row(['---', ...Array.from({ length: WINDOWS }, () => '---:'), '---:', '---:']));
for (const w of running) console.log(row([w.name, ...w.rates.map((r) => r.toFixed(0)), median(w.rates).toFixed(0), `${Math.min(...w.rates).toFixed(0)}–${Math.max(...w.rates).toFixed(0)}`]));
