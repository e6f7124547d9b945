/**
 * A scale-up storm: one hello-world app at `--from` workers, then `tsgictl scale APP --to` at
 * once, timed until the command returns (it waits for every worker ready), with the app's state
 * after; then PM2 starting `-i --to` instances of the same server in the same run. `--tsgid` runs
 * another build (e.g. main's dist) for a before/after.
 *
 *   npm run build && node dist/bench/scale-up.js [--from 2] [--to 64] [--no-pm2] [--tsgid /work/main/dist/daemon/main.js]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, HELLO, HELLO_CJS, machine, pm2Bin, row, scratch, startTsgid, TSGID } from './lib.js';

const { values } = parseArgs({ options: { from: { type: 'string', default: '2' }, to: { type: 'string', default: '64' }, tsgid: { type: 'string', default: TSGID }, 'no-pm2': { type: 'boolean', default: false } } });
const FROM = Number(values.from);
const TO = Number(values.to);
const tsgictl = join(dirname(dirname(values.tsgid)), 'cli/main.js');

type App = { state: string; ready: number; target: number; failed_reason: string | null; restarts: number };
const rows: Array<Array<string | number>> = [];

const dir = scratch('scale-up');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
const d = await startTsgid(dir, `apps:\n  tiny:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: ${FROM}\n`, values.tsgid);
try {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [tsgictl, '--socket', d.socket, 'scale', 'tiny', String(TO)], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const a = (await adminGet<{ app: App }>(d.socket, '/v1/apps/tiny')).app;
  rows.push([`tsgid (${values.tsgid})`, `tsgictl scale tiny ${TO}`, (ms / 1000).toFixed(1), r.status ?? 'signal', `${a.state} ${a.ready}/${a.target}${a.failed_reason ? ` (${a.failed_reason})` : ''}`, a.restarts]);
} finally {
  await d.stop();
}

if (!values['no-pm2']) {
  const pm2 = pm2Bin();
  const pdir = scratch('scale-up-pm2');
  const env = { ...process.env, PM2_HOME: join(pdir, '.pm2') };
  writeFileSync(join(pdir, 'server.cjs'), `require('http').createServer(${HELLO_CJS.replace('module.exports = ', '').trim().replace(/;$/, '')}).listen(0, '127.0.0.1');\n`);
  try {
    const t0 = performance.now();
    execFileSync(pm2, ['start', join(pdir, 'server.cjs'), '-i', String(TO), '--name', 'tiny'], { env, stdio: 'ignore' });
    const ms = performance.now() - t0;
    const list = JSON.parse(execFileSync(pm2, ['jlist'], { env, encoding: 'utf8' })) as Array<{ pm2_env: { status: string } }>;
    const online = list.filter((p) => p.pm2_env.status === 'online').length;
    rows.push(['PM2 6 (cluster mode)', `pm2 start server.cjs -i ${TO}`, (ms / 1000).toFixed(1), 0, `${online}/${TO} online`, '']);
  } finally {
    execFileSync(pm2, ['kill'], { env, stdio: 'ignore' });
  }
}

console.log(`\nScale-up storm — ${machine()}; hello world, ${FROM} → ${TO} workers at once\n`);
console.log(row(['server', 'command', 'command returned after s', 'exit', 'state after', 'restarts']));
console.log(row(['---', '---', '---:', '---:', '---', '---:']));
for (const r of rows) console.log(row(r));
