/**
 * What a request costs in a worker, counted in instructions rather than seconds: on a shared, noisy
 * machine a req/s A/B (bench/ab.ts) cannot resolve a few percent, while the user-space
 * instructions a worker executes for the same requests are nearly the same from run to run. Each
 * contender serves hello world from ONE worker run under valgrind's callgrind (bench/callgrind.ts):
 *
 * - raw node:cluster: a primary forking one worker, which runs under callgrind because the primary
 *   sets `process.execPath` (what cluster forks) to the valgrind wrapper first;
 * - tsgid: this build, copied into a scratch folder (bench/build-copy.ts) whose process-ops.js
 *   forks workers with `execPath: <wrapper>` (a checked patch: the product code is not changed);
 * - with --baseline DIR[,DIR…]: each DIR's build of tsgid (an unpacked, built older commit with
 *   node_modules linked, as for bench/ab.ts), copied and patched the same way.
 *
 *   npm run build && node dist/bench/instructions.js [--rounds 4] [--requests 10000] [--warmup 6000] [--connections 10] [--app hello|express|hono] [--close] [--idle 10] [--perf-map] [--memory-reducer] [--node-flags="--trace-gc --trace-deopt"] [--baseline DIR[,DIR…]]
 *
 * Each contender: start it, warm it up (--warmup requests, in chunks of --requests, then more
 * chunks, up to 5, while V8's optimising compiler still runs ≥ 1 % of a chunk's instructions), then
 * per cycle zero the worker's counters, send exactly --requests GETs over 10 keep-alive connections
 * opened for the cycle, and dump; Ir / requests is the cost of a request, including what the worker
 * does meanwhile on its own (tsgid's heartbeats and metrics, V8's compiler and GC threads). The
 * medians are of the cycles after the first. Each cycle's (and warm-up chunk's) share of the
 * garbage collector and of V8's optimising compiler is read from its dump (bench/callgrind-costs.ts)
 * and shown: a cycle in which V8 recompiled is "not settled".
 *
 * V8's memory reducer is off in both workers (`--no-memory-reducer`; --memory-reducer keeps it).
 * It starts full collections when it sees a low allocation rate per wall-clock second, which a
 * worker 50x slowed by valgrind shows, and which every worker here shows between its cycles while
 * the other contenders run theirs. Such a collection (`Mark-Compact (reduce)` in --trace-gc) drops
 * maps only V8's optimised code held, that code is thrown away ("weak objects": 54–68 functions for
 * Express), and the next cycle recompiles it: +300 000 instructions an Express request (+55 %),
 * in whichever cycle follows the longest idle gap (BENCHMARKS.md, 2026-12-07). A server under
 * steady load does not run it. Every other collection is counted, as before.
 *
 * The garbage collector is counted throughout. A mark-compact lands in one cycle or the next, so
 * besides the medians of whole cycles the summary gives, for one worker, the median of each
 * cycle's instructions outside the collector plus the collector's mean over the cycles.
 * --node-flags passes more flags to both workers' node (V8's traces go to node.<pid>.out beside the
 * dumps, and each cycle's line counts its collections, deopts and compiles, bench/v8-trace.ts).
 *
 * Needs valgrind (callgrind_control); under it a worker is ~50x slower: a cycle of 4000 Express
 * requests takes 20–300 s by the machine's load. Not part of `npm run bench`. The dumps
 * (cg.<pid>.<n>) stay in each contender's scratch folder, named at the end; with --perf-map,
 * bench/callgrind-diff.ts splits two of them by kind of code and names V8's compiled functions.
 *
 * --close: every request on a new connection (`Connection: close`), and the primary (tsgid's
 * arbiter, raw cluster's primary) runs under callgrind too: instructions per connection accepted
 * and handed over, in the primary, in the worker and both together.
 *
 * --app express: both serve the same route from an Express app instead of a bare handler; --app hono,
 * from a Hono app (fetch-style): raw cluster's worker through @hono/node-server's request listener,
 * tsgid's through its own fetch adapter.
 *
 * All contenders are up at once and their cycles interleave, the order rotating: cycle n of each,
 * then cycle n + 1, so that a busier stretch of the machine (fewer requests per wakeup of a worker,
 * more instructions per request) falls on all alike; the table gives the median and range of the
 * per-cycle ratios to raw cluster too. After its warm-up each worker is left idle for --idle
 * seconds (default 10) and its instructions per idle second reported: what it runs by the clock
 * (heartbeats, the orphan watchdog, timers), charged to the requests of whichever cycle it falls in.
 */
import { spawn } from 'node:child_process';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { copyBuild, patchOnce } from './build-copy.js';
import { byKind, selfCosts } from './callgrind-costs.js';
import { dumpIr, lastDump, wrapper, zero } from './callgrind.js';
import { APPS, TITLES } from './instructions-apps.js';
import { children, freePort, machine, median, ROOT, row, scratch, sleep, startTsgid, stopTree, waitUntil } from './lib.js';
import { deoptReasons, traceSize, traceSummary } from './v8-trace.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '6000' },
    requests: { type: 'string', default: '10000' },
    baseline: { type: 'string' },
    app: { type: 'string', default: 'hello' },
    'perf-map': { type: 'boolean', default: false },
    connections: { type: 'string', default: '10' },
    idle: { type: 'string', default: '10' },
    close: { type: 'boolean', default: false },
    'node-flags': { type: 'string', default: '' },
    'memory-reducer': { type: 'boolean', default: false },
  },
});
/** a new connection per request, and the primary (tsgid's arbiter, cluster's primary) counted too */
const CLOSE = values.close!;
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
const PERF_MAP = values['perf-map']!;
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const IDLE_S = Number(values.idle);
/** more flags for the workers' node, both contenders alike (V8's traces: written to node.<pid>.out beside the dumps) */
const USER_FLAGS = values['node-flags']!.split(/\s+/).filter(Boolean);
const TRACES = USER_FLAGS.length > 0;
/** V8's memory reducer off in both workers unless --memory-reducer: see the header */
const NODE_FLAGS = [...(values['memory-reducer'] ? [] : ['--no-memory-reducer']), ...USER_FLAGS];
if (![ROUNDS, REQUESTS, CONNECTIONS, IDLE_S, WARMUP].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--rounds, --requests, --connections, --idle and --warmup take whole numbers above 0');
/** see isSettled() */
const SETTLED = 0.01;
/** warm-up chunks (of --requests) after --warmup's, at most, while the last one is not settled */
const MORE_WARMUP = 5;
/** under valgrind a worker takes seconds to boot, and much longer while the machine is busy */
const READY_MS = 180_000;
if (!Object.hasOwn(APPS, values.app!)) throw new Error(`--app takes ${Object.keys(APPS).join(' or ')}`);
const APP = APPS[values.app as keyof typeof APPS];

interface Contender {
  name: string;
  port: number;
  /** the worker under callgrind */
  worker: number;
  /** with --close, the primary under callgrind too */
  primary?: number;
  /** where its callgrind dumps go */
  dir: string;
  stop(): Promise<void>;
}

/** One GET without keep-alive, so that a readiness poll leaves no idle connection to close later, inside a cycle. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => res.resume().once('end', () => resolve(res.statusCode === 200))).once('error', () => resolve(false));
  });
}

function onlyChild(pid: number): number {
  const c = children(pid);
  if (c.length !== 1) throw new Error(`expected process ${pid} to have one child (the worker), found ${c.length}`);
  return c[0]!;
}

async function cluster(): Promise<Contender> {
  const dir = scratch('instructions');
  const port = await freePort();
  writeFileSync(join(dir, 'cluster.cjs'), `const cluster = require('node:cluster'); const http = require('node:http');
if (cluster.isPrimary) {
  process.execPath = ${JSON.stringify(wrapper(dir, PERF_MAP, NODE_FLAGS, TRACES))}; // cluster forks process.execPath: the worker runs under callgrind
  cluster.fork();
  cluster.on('exit', () => process.exit(0));
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM'); });
} else { ${APP.cjs} http.createServer(app).listen(${port}, '127.0.0.1'); }\n`);
  // the app's packages (express) resolve from the project's node_modules, as they do for tsgid's copy
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const primary = spawn(CLOSE ? wrapper(dir, PERF_MAP, NODE_FLAGS, TRACES) : process.execPath, ['cluster.cjs'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = (): Promise<void> => stopTree(primary.pid!);
  try {
    await waitUntil(() => answers(port), READY_MS);
    return { name: 'raw node:cluster', port, worker: onlyChild(primary.pid!), ...(CLOSE && { primary: primary.pid! }), dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function tsgid(name: string, root: string): Promise<Contender> {
  const dir = copyBuild('instructions', root);
  // fork runs execPath with execArgv and the worker's module: the wrapper runs them under callgrind
  // where process-ops.js is: daemon/os/ since the daemon was grouped into folders, daemon/ in older builds
  const ops = ['dist/daemon/os/process-ops.js', 'dist/daemon/process-ops.js'].map((f) => join(dir, f)).find((f) => existsSync(f)) ?? join(dir, 'dist/daemon/os/process-ops.js');
  patchOnce(ops, 'execArgv: [],', `execArgv: [], execPath: ${JSON.stringify(wrapper(dir, PERF_MAP, NODE_FLAGS, TRACES))},`, 'bench/instructions.ts');
  const port = await freePort();
  writeFileSync(join(dir, 'app.mjs'), APP.esm);
  // boot_timeout and timeout (the heartbeat guard) allow for valgrind's slowdown
  const yaml = `apps:\n  bench:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 1\n    boot_timeout: 120s\n    timeout: 120s\n`;
  const d = await startTsgid(dir, yaml, join(dir, 'dist/daemon/main.js'), READY_MS, CLOSE ? wrapper(dir, PERF_MAP, NODE_FLAGS, TRACES) : process.execPath);
  const stop = (): Promise<void> => stopTree(d.proc.pid!);
  try {
    await waitUntil(() => answers(port), READY_MS);
    return { name, port, worker: onlyChild(d.proc.pid!), ...(CLOSE && { primary: d.proc.pid! }), dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function get(agent: http.Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent, ...(CLOSE && { headers: { connection: 'close' } }) }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET / answered ${res.statusCode}`));
        res.resume().once('end', resolve);
      })
      .once('error', reject);
  });
}

/**
 * Exactly `n` GETs over CONNECTIONS keep-alive connections opened for them, so that every cycle
 * pays for the same connects; `inside` runs before the connections close, so that their closing
 * falls between cycles.
 */
async function requests<T>(port: number, n: number, inside: () => T): Promise<T> {
  const agent = new http.Agent({ keepAlive: !CLOSE, maxSockets: CONNECTIONS });
  let left = n;
  const lane = async (): Promise<void> => {
    while (left-- > 0) await get(agent, port);
  };
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, lane));
    return inside();
  } finally {
    agent.destroy();
    // the worker handles the closes (a few ms under valgrind) before the next zero
    await sleep(2000);
  }
}

interface Measured {
  /** Ir / requests, per cycle */
  perRequest: number[];
  /** with --close, the primary's Ir / requests (= connections), per cycle */
  primary: number[];
  /** seconds from zero to dump, per cycle */
  seconds: number[];
  /** of perRequest, V8's optimising compiler (a cycle in which V8 recompiled) and the garbage collector, per cycle */
  compiler: number[];
  gc: number[];
  /** Ir per second while idle, after the warm-up */
  idle: number;
  /** the same for the primary, with --close */
  primaryIdle: number;
}

/** Instructions per idle second of the worker and (with --close) the primary: zeroed, left alone for IDLE_S, dumped. */
async function idleRates(c: Contender): Promise<[number, number]> {
  const t0 = performance.now();
  zero(c.worker);
  if (c.primary !== undefined) zero(c.primary);
  await sleep(IDLE_S * 1000);
  const worker = dumpIr(c.worker, c.dir);
  const primary = c.primary === undefined ? 0 : dumpIr(c.primary, c.dir);
  const s = (performance.now() - t0) / 1000;
  return [worker / s, primary / s];
}

interface Count {
  /** the worker's instructions per request */
  ir: number;
  /** of which V8's optimising compiler and the garbage collector */
  compiler: number;
  gc: number;
  /** the primary's, with --close */
  primary: number;
  seconds: number;
  /** with --node-flags' V8 traces: what the worker's trace says happened meanwhile */
  trace: string;
  /** and between the previous count's dump and this one's zero (the worker idle, or served the readiness poll) */
  gap: string;
  /** the most frequent deopts' functions and reasons, from the trace */
  deopts: string[];
}

/** per worker, how far its trace had been read at the last dump */
const traceRead = new Map<number, number>();

/** Zero, exactly `n` GETs, dump: what the worker (and with --close the primary) ran for them. */
async function count(c: Contender, n: number): Promise<Count> {
  const t0 = performance.now();
  const traceFile = join(c.dir, `node.${c.worker}.out`);
  const traceFrom = traceSize(traceFile);
  const gap = traceSummary(traceFile, traceRead.get(c.worker) ?? 0, traceFrom);
  zero(c.worker);
  if (c.primary !== undefined) zero(c.primary);
  return requests(c.port, n, () => {
    const ir = dumpIr(c.worker, c.dir);
    const kinds = byKind(selfCosts(lastDump(c.worker, c.dir)));
    const primary = c.primary === undefined ? 0 : dumpIr(c.primary, c.dir);
    const seconds = (performance.now() - t0) / 1000;
    const traceTo = traceSize(traceFile);
    traceRead.set(c.worker, traceTo);
    const trace = traceSummary(traceFile, traceFrom, traceTo);
    const deopts = deoptReasons(traceFile, traceFrom, traceTo).slice(0, 5);
    return { ir: ir / n, compiler: kinds.get('V8 optimising compiler')! / n, gc: kinds.get('garbage collector')! / n, primary: primary / n, seconds, trace, gap, deopts };
  });
}

/** A count in which V8's optimising compiler ran less than SETTLED of the instructions: V8 had settled on its code. */
const isSettled = (k: { ir: number; compiler: number }): boolean => k.compiler < SETTLED * k.ir;

const describe = (k: Count): string =>
  `${k.ir.toFixed(0)} instructions/request (GC ${k.gc.toFixed(0)}, optimising compiler ${k.compiler.toFixed(0)}; ${k.seconds.toFixed(0)} s${k.trace && `; ${k.trace}`}${k.gap && `; before it: ${k.gap}`})${k.deopts.map((d) => `\n    ${d}`).join('')}`;

/** One cycle: zero, exactly REQUESTS GETs, dump. */
async function cycle(c: Contender, m: Measured): Promise<void> {
  const k = await count(c, REQUESTS);
  m.perRequest.push(k.ir);
  m.compiler.push(k.compiler);
  m.gc.push(k.gc);
  if (c.primary !== undefined) m.primary.push(k.primary);
  m.seconds.push(k.seconds);
  process.stderr.write(`${c.name}: cycle ${m.perRequest.length}: ${describe(k)}, dump in ${c.dir}\n`);
}

const starts: Array<() => Promise<Contender>> = [cluster, () => tsgid('tsgid', ROOT)];
for (const dir of values.baseline?.split(',') ?? []) starts.push(() => tsgid(`tsgid ${basename(resolve(dir))}`, resolve(dir)));

// an interrupted run, even while a contender is starting, must not leave a tsgid respawning valgrind'd workers
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void Promise.all(children(process.pid).map((pid) => stopTree(pid))).then(() => process.exit(130)));
}

const running: Contender[] = [];
const results: Array<Measured & { name: string; dir: string }> = [];
try {
  for (const start of starts) {
    const c = await start();
    running.push(c);
    // WARMUP requests, then more (REQUESTS at a time, up to MORE_WARMUP times) while V8 still compiles
    for (let done = 0, i = 1; ; i++) {
      const n = done < WARMUP ? Math.min(REQUESTS, WARMUP - done) : REQUESTS;
      const k = await count(c, n);
      process.stderr.write(`${c.name}: warm-up ${i}: ${describe(k)}\n`);
      done += n;
      if (done >= WARMUP && (isSettled(k) || done >= WARMUP + MORE_WARMUP * REQUESTS)) break;
    }
    const [idle, primaryIdle] = await idleRates(c);
    process.stderr.write(`${c.name}: idle: ${idle.toFixed(0)} instructions/s${CLOSE ? `, the primary ${primaryIdle.toFixed(0)}` : ''}\n`);
    results.push({ name: c.name, dir: c.dir, perRequest: [], primary: [], seconds: [], compiler: [], gc: [], idle, primaryIdle });
  }
  // cycle n of every contender, then cycle n + 1, the order rotating: a stretch of a busier
  // machine (fewer requests per wakeup) falls on all of them alike
  for (let n = 0; n < ROUNDS; n++) {
    for (let i = 0; i < running.length; i++) {
      const k = (i + n) % running.length;
      await cycle(running[k]!, results[k]!);
    }
  }
} finally {
  for (const c of running) await c.stop();
}

const settled = (xs: number[]): number[] => (xs.length > 1 ? xs.slice(1) : xs);
const cycles = Array.from({ length: ROUNDS }, (_, i) => `cycle ${i + 1}`);
const over = ROUNDS > 2 ? `cycles 2–${ROUNDS}` : `cycle ${Math.min(ROUNDS, 2)}`;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
function table(title: string, figures: (r: Measured) => number[]): void {
  const base = figures(results[0]!);
  console.log(`\n${title}\n`);
  console.log(row(['contender', ...cycles, `median (${over})`, '× raw cluster (of the medians)', `per-cycle ratio to raw cluster: median, min–max (${over})`]));
  console.log(row(['---', ...cycles.map(() => '---:'), '---:', '---:', '---:']));
  for (const r of results) {
    const xs = figures(r);
    const m = median(settled(xs));
    const ratios = settled(xs.map((x, i) => x / base[i]!));
    console.log(row([r.name, ...xs.map((x) => x.toFixed(0)), m.toFixed(0), (m / median(settled(base))).toFixed(3), `${median(ratios).toFixed(3)}, ${spread(ratios)}`]));
  }
}
/**
 * The same cycles with the garbage collector's share taken over all of them: a mark-compact lands
 * in one cycle or the next (±20 000 instructions an Express request for a cycle of 3000–4000), so
 * the median of the rest of each cycle plus the mean GC of the cycles (all of it counted, spread
 * evenly) resolves what the medians of whole cycles cannot.
 */
function gcSpread(): void {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rest = (r: Measured): number[] => r.perRequest.map((x, i) => x - r.gc[i]!);
  const base = results[0]!;
  const baseFigure = median(settled(rest(base))) + mean(settled(base.gc));
  console.log(`\nOne worker, the garbage collector spread over the cycles (${over}): median of each cycle without it, plus its mean\n`);
  console.log(row(['contender', 'without GC, median', 'GC, mean', 'sum', '× raw cluster', `per-cycle ratio without GC: median, min–max`]));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:']));
  for (const r of results) {
    const m = median(settled(rest(r)));
    const g = mean(settled(r.gc));
    const ratios = settled(rest(r).map((x, i) => x / rest(base)[i]!));
    console.log(row([r.name, m.toFixed(0), g.toFixed(0), (m + g).toFixed(0), ((m + g) / baseFigure).toFixed(3), `${median(ratios).toFixed(3)}, ${spread(ratios)}`]));
  }
}

const what = `${TITLES[values.app as keyof typeof TITLES]}, ${REQUESTS} requests a cycle over ${CONNECTIONS} ${CLOSE ? 'clients, a new connection for each (Connection: close)' : 'keep-alive connections'}, after ${WARMUP} or more to warm up (until V8 settles); ${values['memory-reducer'] ? "V8's memory reducer on" : "V8's memory reducer off in both"}; contenders' cycles interleaved; medians of ${over}`;
console.log(`\nInstructions per request (callgrind Ir) — ${machine()}; ${what}`);
table(CLOSE ? 'The worker:' : 'One worker:', (r) => r.perRequest);
if (!CLOSE) gcSpread();
if (CLOSE) {
  table("The primary (tsgid's arbiter, cluster's primary), per connection:", (r) => r.primary);
  table('Both:', (r) => r.perRequest.map((x, i) => x + r.primary[i]!));
  // what the primary runs by the clock (tsgid: its loop's ticks, the stats sampler, heartbeats
  // from the worker) is charged to the connections of a cycle, and valgrind makes a cycle ~50x longer
  table("The primary, net of its idle rate (instructions per idle second × the cycle's seconds, per connection):", (r) => r.primary.map((x, i) => x - (r.primaryIdle * r.seconds[i]!) / REQUESTS));
}
console.log('');
// what a worker runs by the clock (heartbeats, timers, threads) is charged to the requests of the cycle it falls in
// what made cycles differ: V8 recompiling (a cycle not settled) and the garbage collector
for (const r of results) {
  const unsettled = r.perRequest.map((ir, i) => (isSettled({ ir, compiler: r.compiler[i]! }) ? 0 : 1)).reduce((a: number, b) => a + b, 0);
  console.log(`${r.name}: per cycle, V8's optimising compiler ${r.compiler.map((x) => x.toFixed(0)).join(' ')}, the garbage collector ${r.gc.map((x) => x.toFixed(0)).join(' ')}; cycles not settled (compiler ≥ ${SETTLED * 100} %): ${unsettled} of ${ROUNDS}`);
}
for (const r of results) console.log(`${r.name}: cycle seconds ${r.seconds.map((s) => s.toFixed(0)).join(' ')}; idle, ${(r.idle / 1e3).toFixed(0)} thousand instructions/s${CLOSE ? ` (the primary ${(r.primaryIdle / 1e3).toFixed(0)})` : ''}; dumps (cg.<pid>.<cycle>) in ${r.dir}`);
