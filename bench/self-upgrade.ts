/**
 * Requests lost across 10 upgrades of the process manager itself, under load: `tsgictl upgrade`
 * (the sockets handed to a new tsgid) against `pm2 update` (PM2's in-memory daemon replaced:
 * dump, kill, resurrect). Hello world, 2 workers; 4 clients making one request per connection
 * and 4 on keep-alive connections (a failed keep-alive request opens a new connection). Every
 * failure is counted by its code. gunicorn is not measured (not installed here).
 *
 *   npm run build && node dist/bench/self-upgrade.js [--upgrades 10]
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, HELLO, HELLO_CJS, machine, pm2Bin, row, scratch, sleep, startTsgid, TSGICTL, waitUntil } from './lib.js';

const { values } = parseArgs({ options: { upgrades: { type: 'string', default: '10' } } });
const UPGRADES = Number(values.upgrades);

interface Tally {
  ok: number;
  errors: Map<string, number>;
}

/** 4 one-request-per-connection clients and 4 keep-alive ones, until stopped. */
function load(port: number): { stop(): Promise<Tally> } {
  const tally: Tally = { ok: 0, errors: new Map() };
  const fail = (what: string): void => void tally.errors.set(what, (tally.errors.get(what) ?? 0) + 1);
  let running = true;
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const client = async (agent: http.Agent | false): Promise<void> => {
    while (running) {
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) tally.ok++;
            else fail(`HTTP ${res.statusCode}`);
            resolve();
          });
          res.on('error', (err) => (fail((err as NodeJS.ErrnoException).code ?? err.message), resolve()));
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
        req.on('error', (err) => {
          fail((err as NodeJS.ErrnoException).code ?? err.message);
          // a refused connection would otherwise spin: the next try a moment later
          setTimeout(resolve, 5);
        });
      });
    }
  };
  const loops = [...Array.from({ length: 4 }, () => client(false)), ...Array.from({ length: 4 }, () => client(keepAlive))];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
      return tally;
    },
  };
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => execFile(file, args, { env, timeout: 120_000 }, (err, _out, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve())));
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => (res.resume(), resolve(res.statusCode === 200))).on('error', () => resolve(false));
  });
}

interface Result {
  name: string;
  tally: Tally;
  seconds: number;
}

/** Run `upgrade` UPGRADES times under load, each followed by the app answering again and 500 ms. */
async function measure(name: string, port: number, upgrade: () => Promise<void>): Promise<Result> {
  await sleep(500);
  const l = load(port);
  const t0 = performance.now();
  for (let i = 0; i < UPGRADES; i++) {
    await upgrade();
    await waitUntil(() => answers(port), 60_000);
    await sleep(500);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { name, tally: await l.stop(), seconds };
}

async function tsgid(): Promise<Result> {
  const dir = scratch('self-upgrade');
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  const port = await freePort();
  const d = await startTsgid(dir, `apps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 2\n`);
  const cfg = join(dir, 'tsgi.yaml');
  try {
    return await measure('tsgid, `tsgictl upgrade`', port, () => run(process.execPath, [TSGICTL, '-c', cfg, 'upgrade']));
  } finally {
    // the tsgid running now is the last upgrade's, not the one startTsgid spawned
    const pid = Number(execFileSync(process.execPath, [TSGICTL, '-c', cfg, 'status', '--json'], { encoding: 'utf8' }).match(/"pid":(\d+)/)?.[1]);
    if (pid > 0) process.kill(pid, 'SIGTERM');
    await waitUntil(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 60_000).catch(() => {});
  }
}

async function pm2(): Promise<Result> {
  const bin = pm2Bin();
  const dir = scratch('self-upgrade-pm2');
  const env = { ...process.env, PM2_HOME: join(dir, '.pm2') };
  const port = await freePort();
  writeFileSync(join(dir, 'server.cjs'), `require('http').createServer(${HELLO_CJS.replace('module.exports = ', '').trim().replace(/;$/, '')}).listen(${port}, '127.0.0.1');\n`);
  execFileSync(bin, ['start', join(dir, 'server.cjs'), '-i', '2', '--name', 'hello'], { env, stdio: 'ignore' });
  await waitUntil(() => answers(port), 60_000);
  try {
    return await measure('PM2 6 cluster, `pm2 update`', port, () => run(bin, ['update'], env));
  } finally {
    execFileSync(bin, ['kill'], { env, stdio: 'ignore' });
  }
}

const results = [await tsgid(), await pm2()];
console.log(`\n${UPGRADES} upgrades of the process manager under load — ${machine()}; hello world, 2 workers, 4 new-connection + 4 keep-alive clients\n`);
console.log(row(['run', 'requests ok', 'failed', 'failures by kind', 'wall s']));
console.log(row(['---', '---:', '---:', '---', '---:']));
for (const r of results) {
  const failed = [...r.tally.errors.values()].reduce((a, b) => a + b, 0);
  const kinds = [...r.tally.errors].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  console.log(row([r.name, r.tally.ok, failed, kinds, r.seconds.toFixed(1)]));
}
