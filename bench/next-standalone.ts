/**
 * A Next.js standalone `server.js` (the file `next build` writes with `output: 'standalone'`, which
 * calls listen() itself) run unmodified by tsgid with `interface: listen` and 2 workers: installs
 * next, react and react-dom into a scratch folder, builds a small app (a static page and a dynamic
 * route that answers its pid), starts `.next/standalone/server.js` under tsgid, and keeps 8
 * keep-alive clients busy across rolling reloads, counting every answer that is not a 200.
 *
 * An e2e here, not a test in `npm test`: Next is no dev dependency of tsgi. Measured on the 2-core
 * development VM (2026-12-07): `npm install next react react-dom` took 12 s but added 359 MB of
 * node_modules (next 16.5.0 with its SWC binaries), far past the 100 MB a dev install may grow;
 * `next build` took 10 s. BENCHMARKS.md has the figures of each run.
 *
 *   npm run build && node dist/bench/next-standalone.js [--seconds 20] [--reloads 3] [--next latest]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, machine, scratch, sleep, startTsgid, TSGICTL } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, reloads: { type: 'string', default: '3' }, next: { type: 'string', default: 'latest' }, clients: { type: 'string', default: '8' } } });
const SECONDS = Number(values.seconds);
const RELOADS = Number(values.reloads);
const CLIENTS = Number(values.clients);

function timed<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const v = fn();
  return [v, (performance.now() - t) / 1000];
}

function megabytes(dir: string): number {
  const out = spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout;
  return Number(out.split(/\s/)[0]);
}

function writeApp(dir: string): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'next-standalone-bench', private: true, version: '0.0.0' }));
  writeFileSync(join(dir, 'next.config.mjs'), `export default { output: 'standalone' };\n`);
  mkdirSync(join(dir, 'app/pid'), { recursive: true });
  writeFileSync(join(dir, 'app/layout.js'), `export default function RootLayout({ children }) { return <html><body>{children}</body></html>; }\n`);
  writeFileSync(join(dir, 'app/page.js'), `export default function Page() { return <h1>hello from next</h1>; }\n`);
  // a dynamic route: rendered per request by the worker that got it
  writeFileSync(join(dir, 'app/pid/route.js'), `export const dynamic = 'force-dynamic';\nexport function GET() { return new Response(String(process.pid)); }\n`);
}

interface Load {
  ok: number;
  failed: number;
  failures: string[];
  pids: Set<string>;
}

/** CLIENTS loops of keep-alive GETs to /pid until `until`; every answer but a 200 with a pid counts as failed. */
async function load(port: number, until: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const result: Load = { ok: 0, failed: 0, failures: [], pids: new Set() };
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/pid', agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 200 && /^\d+$/.test(body)) {
            result.ok++;
            result.pids.add(body);
          } else {
            result.failed++;
            if (result.failures.length < 5) result.failures.push(`${res.statusCode} ${body.slice(0, 80)}`);
          }
          resolve();
        });
      });
      req.on('error', (err) => {
        result.failed++;
        if (result.failures.length < 5) result.failures.push(err.message);
        resolve();
      });
    });
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < until) await one();
  }));
  agent.destroy();
  return result;
}

async function main(): Promise<void> {
  const dir = scratch('next-standalone');
  writeApp(dir);
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  const npm = (args: string[]) => execFileSync('npm', args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const [, installS] = timed(() => npm(['install', '--no-audit', '--no-fund', `next@${values.next}`, 'react', 'react-dom']));
  const modulesMb = megabytes(join(dir, 'node_modules'));
  const [, buildS] = timed(() => execFileSync(join(dir, 'node_modules/.bin/next'), ['build'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] }));
  const standalone = join(dir, '.next/standalone');
  if (!existsSync(join(standalone, 'server.js'))) throw new Error(`no ${standalone}/server.js: was output: 'standalone' applied?`);
  // as Next's docs say to deploy it: the static files beside the server
  cpSync(join(dir, '.next/static'), join(standalone, '.next/static'), { recursive: true });
  const standaloneMb = megabytes(standalone);
  const nextVersion = execFileSync(process.execPath, ['-p', `require(${JSON.stringify(join(dir, 'node_modules/next/package.json'))}).version`], { encoding: 'utf8' }).trim();

  const port = await freePort();
  const t0 = performance.now();
  const d = await startTsgid(dir, `apps:
  next:
    app: ./.next/standalone/server.js
    interface: listen
    listen: "127.0.0.1:${port}"
    workers: 2
    env: { NODE_ENV: production, PORT: "${port}", HOSTNAME: "127.0.0.1", NEXT_TELEMETRY_DISABLED: "1" }
`);
  const bootS = (performance.now() - t0) / 1000;
  try {
    const home = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      }).on('error', reject);
    });
    if (home.status !== 200 || !home.body.includes('hello from next')) throw new Error(`GET / answered ${home.status}: ${home.body.slice(0, 200)}`);
    const until = Date.now() + SECONDS * 1000;
    const running = load(port, until);
    const reloadS: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      await sleep((SECONDS * 1000) / (RELOADS + 1) - (reloadS.at(-1) ?? 0) * 1000);
      const [, s] = timed(() => execFileSync(process.execPath, [TSGICTL, '--socket', d.socket, 'reload', 'next'], { stdio: ['ignore', 'ignore', 'inherit'] }));
      reloadS.push(s);
    }
    const r = await running;
    console.log(`Next.js standalone server.js under tsgid (interface: listen, 2 workers), ${machine()}`);
    console.log(`next ${nextVersion}: npm install ${installS.toFixed(1)} s, node_modules ${modulesMb} MB; next build ${buildS.toFixed(1)} s, .next/standalone ${standaloneMb} MB`);
    console.log(`tsgid up with 2 workers in ${bootS.toFixed(1)} s; GET / 200`);
    console.log(`${SECONDS} s of ${CLIENTS} keep-alive clients on /pid, ${RELOADS} rolling reloads (${reloadS.map((s) => `${s.toFixed(1)} s`).join(', ')}):`);
    console.log(`  ${r.ok} answered 200 (${(r.ok / SECONDS).toFixed(0)} req/s), ${r.failed} failed${r.failures.length > 0 ? `: ${r.failures.join('; ')}` : ''}; ${r.pids.size} distinct worker pids served`);
    console.log(`  load average ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ')}`);
    if (r.failed > 0) process.exitCode = 1;
  } finally {
    await d.stop();
  }
}

await main();
