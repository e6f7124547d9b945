/**
 * Reload under load: wrk with 50 keep-alive connections against a hello-world app with 2 workers
 * for 20 s, reloading it every second; the same app with no reloads as the baseline. tsgid
 * (`tsgictl reload`) and PM2 cluster mode (`pm2 reload`) side by side, A/B/A/B.
 *
 *   npm run build && node dist/bench/reload.js [--seconds 20] [--rounds 2] [--no-pm2] [--every 1] [--close] [--vs <dist/daemon/main.js>] [--yaml S] [--vs-yaml S] [--no-calm]
 *
 * `--every S`: a reload every S seconds (issue #26's run: `--seconds 35 --every 3.5`, 10 reloads);
 * `--close`: a new connection per request (`Connection: close`), so connections also arrive
 * while workers boot. The table also counts the requests that took over 2 s (a wrk script).
 * `--vs BIN`: another build's tsgid (bench/build-copy.ts, or a copy of an older dist/) run in the
 * same rounds, after this one, as "tsgid (vs)" (the same build when only `--vs-yaml` differs);
 * `--yaml`/`--vs-yaml`: more of the app's settings, one `key: value` a line (`'reload_handover: 0'`);
 * `--no-calm`: skip the runs without reloads.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELLO, HELLO_CJS, machine, median, pm2Bin, row, scratch, sleep, startTsgid, TSGICTL, TSGID, wrk, type WrkResult } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' }, 'no-pm2': { type: 'boolean', default: false }, every: { type: 'string', default: '1' }, close: { type: 'boolean', default: false }, vs: { type: 'string' }, yaml: { type: 'string', default: '' }, 'vs-yaml': { type: 'string', default: '' }, 'no-calm': { type: 'boolean', default: false } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const EVERY_MS = Number(values.every) * 1000;
/** wrk's done() hook: requests over 2 s, from its latency histogram (µs) */
const OVER_2S = join(tmpdir(), 'tsgi-bench-over-2s.lua');
writeFileSync(OVER_2S, `done = function(summary, latency, requests)
  local over = 0
  for i = 1, #latency do
    local v, c = latency(i)
    if v > 2000000 then over = over + c end
  end
  io.write(string.format("over 2 s: %d\\n", over))
end
`);
// wrk's own timeout (2 s) would count a slow request as a socket error, out of the histogram
const LOAD = { seconds: SECONDS, headers: values.close ? ['Connection: close'] : [], script: OVER_2S, timeout: '10s' };
type Result = WrkResult & { reloads: number; over2s: number; load: number };

/** Run wrk while `reload()` is called every EVERY_MS; returns wrk's figures and the reload count. */
async function underReloads(url: string, reload: () => void): Promise<Result> {
  const load = wrk(url, LOAD);
  let reloads = 0;
  const until = Date.now() + SECONDS * 1000 - 500;
  await sleep(500);
  while (Date.now() < until) {
    const t = Date.now();
    reload();
    reloads++;
    await sleep(Math.max(0, EVERY_MS - (Date.now() - t)));
  }
  return { ...(await load), reloads, load: loadavg()[0]! };
}

async function tsgidRound(reloading: boolean, bin = TSGID, extra = values.yaml): Promise<Result> {
  const dir = scratch('reload-tsgid');
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  const d = await startTsgid(dir, `apps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:8710"\n    workers: 2\n${extra.replace(/^(?=.)/gm, '    ')}`, bin);
  try {
    if (!reloading) return { ...(await wrk('http://127.0.0.1:8710/', LOAD)), reloads: 0, load: loadavg()[0]! };
    return await underReloads('http://127.0.0.1:8710/', () => {
      execFileSync(process.execPath, [TSGICTL, '--socket', d.socket, 'reload', 'hello'], { stdio: 'ignore' });
    });
  } finally {
    await d.stop();
  }
}

async function pm2Round(reloading: boolean): Promise<Result> {
  const pm2 = pm2Bin();
  const dir = scratch('reload-pm2');
  const env = { ...process.env, PM2_HOME: join(dir, '.pm2') };
  writeFileSync(join(dir, 'server.cjs'), `require('http').createServer(${HELLO_CJS.replace('module.exports = ', '').trim().replace(/;$/, '')}).listen(8711, '127.0.0.1');\n`);
  execFileSync(pm2, ['start', join(dir, 'server.cjs'), '-i', '2', '--name', 'hello'], { env, stdio: 'ignore' });
  await sleep(1500);
  try {
    if (!reloading) return { ...(await wrk('http://127.0.0.1:8711/', LOAD)), reloads: 0, load: loadavg()[0]! };
    return await underReloads('http://127.0.0.1:8711/', () => {
      execFileSync(pm2, ['reload', 'hello'], { env, stdio: 'ignore' });
    });
  } finally {
    execFileSync(pm2, ['kill'], { env, stdio: 'ignore' });
  }
}

const results: Record<string, Array<Result>> = {};
const add = (k: string, r: Result) => (results[k] ??= []).push(r);
const calm = !values['no-calm'];
for (let i = 0; i < ROUNDS; i++) {
  if (calm) add('tsgid, no reload', await tsgidRound(false));
  add(`tsgid, reload every ${EVERY_MS / 1000} s`, await tsgidRound(true));
  if (values.vs !== undefined || values['vs-yaml'] !== '') {
    if (calm) add('tsgid (vs), no reload', await tsgidRound(false, values.vs ?? TSGID, values['vs-yaml']));
    add(`tsgid (vs), reload every ${EVERY_MS / 1000} s`, await tsgidRound(true, values.vs ?? TSGID, values['vs-yaml']));
  }
  if (!values['no-pm2']) {
    if (calm) add('PM2 cluster, no reload', await pm2Round(false));
    add(`PM2 cluster, \`pm2 reload\` every ${EVERY_MS / 1000} s`, await pm2Round(true));
  }
}

console.log(`\nReload under load — ${machine()}; wrk -t2 -c50 -d${SECONDS}s --latency${values.close ? ' -H "Connection: close"' : ''}, hello world, 2 workers, a reload every ${EVERY_MS / 1000} s, ${ROUNDS} round(s) A/B, medians; load average ${loadavg()[0]!.toFixed(1)}\n`);
// a server's p99 under this closed-loop load also follows how much it serves (50 connections: a
// faster server is pushed harder); what reloads add is read against its own run without them
console.log(row(['run', 'reloads', 'requests', 'req/s', 'p99 ms', 'p99 ms per round', 'p99 ÷ its no-reload p99', 'over 2 s (per round)', 'errors (sum over rounds)', 'load average (per round)', 'wrk error detail (last round)']));
console.log(row(['---', '---:', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---', '---']));
const p99Of = (rs: Result[] | undefined): number | undefined => (rs === undefined ? undefined : median(rs.map((r) => r.p99ms)));
for (const [name, rs] of Object.entries(results)) {
  const base = p99Of(results[`${name.split(',')[0]}, no reload`]);
  const p99 = p99Of(rs)!;
  console.log(row([name, median(rs.map((r) => r.reloads)), median(rs.map((r) => r.requests)), median(rs.map((r) => r.rps)).toFixed(0), p99.toFixed(1), rs.map((r) => r.p99ms.toFixed(1)).join(' '), base === undefined ? '' : (p99 / base).toFixed(2), rs.map((r) => r.over2s).join(' '), rs.reduce((a, r) => a + r.errors, 0), rs.map((r) => r.load.toFixed(1)).join(' '), rs.at(-1)!.detail]));
}
void spawn;
