/**
 * A steadier A/B than starting each server in turn: every contender is up at once on its own
 * port (hello world, 2 workers), and short wrk runs go to each in turn, the order rotating every
 * round. Per round, each contender's req/s is divided by the first contender's from the same
 * round; the median of those paired ratios is far less moved by a neighbour's load on a shared
 * machine than a ratio of medians. Also reports the CPU each contender's processes spent per
 * request.
 *
 *   npm run build && node dist/bench/ab.js [--seconds 5] [--rounds 12] [--connections 50] [--close] [--app hello|hono] [--baseline DIR[,DIR…]] [--metrics-off-baseline] [--together] [--pin]
 *
 * --together: each round loads every contender at the same time (one wrk each), so they share
 * the CPUs, and whatever else runs on the machine, alike; the one that needs less CPU per request
 * serves more. The ratio then compares efficiency under identical conditions, not peak req/s.
 *
 * --pin: wrk runs on CPU 0 and every contender's processes on CPU 1 (taskset), so the load
 * generator and the servers do not take turns on the same core; CPU per request is steadier.
 *
 * --connections N (default 50): with a few (4), the servers are not saturated, so each request is
 * a wakeup of its own; CPU per request then depends less on how many requests a wakeup batches,
 * which under saturation feeds on itself (the one ahead batches more, and gets further ahead).
 *
 * --app hono: a Hono app (fetch-style) instead of a bare handler; raw cluster's workers serve it
 * through @hono/node-server's request listener, tsgid's through tsgi's fetch adapter.
 *
 * --close: every request asks for `Connection: close`, so each is a new connection, accepted by the
 * arbiter (the primary) and handed to a worker: what nginx does without upstream keepalive.
 *
 * Contenders: tsgid (this build); with --baseline, each DIR's build of tsgid (an unpacked
 * `git archive` of an older commit, built, with node_modules linked), named after DIR (this checkout
 * itself makes an A/A run: how far apart two identical daemons come out is the run's resolution); with
 * --metrics-off-baseline, this build with the worker's metrics work cut out, made in a scratch
 * folder (bench/metrics-off-build.ts); raw node:cluster.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { children, freePort, machine, ROOT, median, medianInterval, row, scratch, startTsgid, treeCpuSeconds, waitUntil, wrk } from './lib.js';
import { metricsOffBuild } from './metrics-off-build.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '12' },
    baseline: { type: 'string' },
    'metrics-off-baseline': { type: 'boolean', default: false },
    together: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    connections: { type: 'string', default: '50' },
    close: { type: 'boolean', default: false },
    app: { type: 'string', default: 'hello' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const load = { connections: CONNECTIONS, threads: Math.min(2, CONNECTIONS), headers: values.close ? ['Connection: close'] : [] };
/**
 * The app, as the module tsgid loads and as the raw cluster worker's listener. hono: a Hono app
 * (fetch-style), which raw cluster serves through @hono/node-server, as Hono's docs run it on Node.
 */
const APPS = {
  hello: { esm: `export default (req, res) => res.end('hello world');\n`, cjs: `const app = (req, res) => res.end('hello world');` },
  hono: {
    esm: `import { Hono } from 'hono';\nconst app = new Hono();\napp.get('/', (c) => c.text('hello world'));\nexport default app;\n`,
    cjs: `const { Hono } = require('hono'); const h = new Hono(); h.get('/', (c) => c.text('hello world')); const app = require('@hono/node-server').getRequestListener(h.fetch);`,
  },
} as const;
if (!Object.hasOwn(APPS, values.app!)) throw new Error(`--app takes ${Object.keys(APPS).join(' or ')}`);
const APP = APPS[values.app as keyof typeof APPS];

/** the app's packages (hono) resolve from the project's node_modules */
function linkModules(dir: string): void {
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

interface Running {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function tsgid(name: string, bin?: string): Promise<Running> {
  const dir = scratch('ab');
  const port = await freePort();
  writeFileSync(join(dir, 'app.mjs'), APP.esm);
  linkModules(dir);
  const d = await startTsgid(dir, `apps:\n  bench:\n    app: ./app.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 2\n`, bin);
  return { name, port, pid: d.proc.pid!, stop: d.stop };
}

async function cluster(): Promise<Running> {
  const dir = scratch('ab');
  const port = await freePort();
  writeFileSync(join(dir, 'cluster.cjs'), `const cluster = require('node:cluster'); const http = require('node:http');
if (cluster.isPrimary) { for (let i = 0; i < 2; i++) cluster.fork(); process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); }); }
else { ${APP.cjs} http.createServer(app).listen(${port}, '127.0.0.1'); }\n`);
  linkModules(dir);
  const p: ChildProcess = spawn(process.execPath, ['cluster.cjs'], { cwd: dir, stdio: 'ignore' });
  await waitUntil(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false), 30_000);
  return {
    name: 'raw node:cluster',
    port,
    pid: p.pid!,
    stop: () => new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    }),
  };
}

// pinned: this process (and so every wrk it starts) on CPU 0; each contender's tree moved to CPU 1 once up
if (values.pin) execFileSync('taskset', ['-p', '1', String(process.pid)], { stdio: 'ignore' });
const pin = (c: Running): Running => {
  if (values.pin) for (const pid of [c.pid, ...children(c.pid)]) execFileSync('taskset', ['-a', '-p', '2', String(pid)], { stdio: 'ignore' });
  return c;
};
// made before any daemon starts: a patch that no longer applies then throws with nothing left running
const metricsOff = values['metrics-off-baseline'] ? join(metricsOffBuild(), 'dist/daemon/main.js') : undefined;
const all: Running[] = [];
const rps = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
try {
  all.push(pin(await tsgid('tsgid')));
  for (const dir of values.baseline?.split(',') ?? []) all.push(pin(await tsgid(`tsgid ${basename(dir)}`, join(dir, 'dist/daemon/main.js'))));
  if (metricsOff !== undefined) all.push(pin(await tsgid('tsgid, metrics cut out', metricsOff)));
  all.push(pin(await cluster()));
  for (const c of all) {
    rps.set(c.name, []);
    cpu.set(c.name, []);
    await wrk(`http://127.0.0.1:${c.port}/`, { seconds: 2, ...load }); // warm-up
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = all.map((_, i) => all[(i + round) % all.length]!);
    const measure = async (c: Running): Promise<void> => {
      const before = treeCpuSeconds(c.pid);
      const r = await wrk(`http://127.0.0.1:${c.port}/`, { seconds: SECONDS, ...load });
      cpu.get(c.name)!.push(((treeCpuSeconds(c.pid) - before) / r.requests) * 1e6);
      rps.get(c.name)!.push(r.rps);
    };
    if (values.together) await Promise.all(order.map(measure));
    else for (const c of order) await measure(c);
  }
} finally {
  // whatever failed, no contender outlives the run
  for (const c of all) await c.stop();
}

const first = all[0]!.name;
console.log(`\nA/B, ${values.app === 'hono' ? 'Hono hello world (raw cluster: @hono/node-server)' : 'hello world'}, all up at once — ${machine()}; wrk -t${load.threads} -c${CONNECTIONS} -d${SECONDS}s${values.close ? ' -H "Connection: close"' : ''}, 2 workers, ${ROUNDS} rounds, ${values.together ? 'all loaded at the same time' : 'one at a time, order rotating'}${values.pin ? '; wrk on CPU 0, servers on CPU 1' : ''}\n`);
const interval = (xs: number[]): string => medianInterval(xs).map((x) => x.toFixed(3)).join('–');
console.log(row(['server', 'median req/s', `req/s: median of per-round ratios to ${first}`, '95 % interval of that median', 'min–max ratio', 'median CPU µs/req', `CPU/req: median of per-round ratios to ${first}`, '95 % interval']));
console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
for (const c of all) {
  const ratios = rps.get(c.name)!.map((v, i) => v / rps.get(first)![i]!);
  const cpuRatios = cpu.get(c.name)!.map((v, i) => v / cpu.get(first)![i]!);
  console.log(row([c.name, median(rps.get(c.name)!).toFixed(0), median(ratios).toFixed(3), interval(ratios), `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`, median(cpu.get(c.name)!).toFixed(1), median(cpuRatios).toFixed(3), interval(cpuRatios)]));
}
for (const c of all) console.log(`${c.name} req/s per round: ${rps.get(c.name)!.map((v) => v.toFixed(0)).join(' ')}`);
for (const c of all) console.log(`${c.name} CPU µs/req per round: ${cpu.get(c.name)!.map((v) => v.toFixed(1)).join(' ')}`);
