/**
 * The control path: `tsgictl status --json` against `pm2 jlist`, each with two apps of two workers
 * running. Wall time with hyperfine when it is installed (else N runs timed with performance.now
 * around execFileSync), and peak memory (max RSS, kB) with `/usr/bin/time -f %M`.
 *
 *   npm run build && node dist/bench/control-path.js [--runs 20] [--no-pm2]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HELLO, HELLO_CJS, machine, median, pm2Bin, row, scratch, sleep, startTsgid, TSGICTL } from './lib.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'no-pm2': { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);

function hasHyperfine(): boolean {
  return spawnSync('hyperfine', ['--version']).status === 0;
}

/** Wall time in ms: mean, median, min and max, over RUNS runs. */
function wallTime(cmd: string[], env: NodeJS.ProcessEnv): { how: string; meanMs: number; medianMs: number; minMs: number; maxMs: number } {
  if (hasHyperfine()) {
    const out = join(scratch('hyperfine'), 'out.json');
    const quoted = cmd.map((a) => `'${a}'`).join(' ');
    execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, quoted], { env, stdio: 'ignore' });
    const r = (JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ mean: number; median: number; min: number; max: number }> }).results[0]!;
    return { how: 'hyperfine', meanMs: r.mean * 1000, medianMs: r.median * 1000, minMs: r.min * 1000, maxMs: r.max * 1000 };
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    execFileSync(cmd[0]!, cmd.slice(1), { env, stdio: 'ignore' });
    if (i >= 3) times.push(performance.now() - t0);
  }
  return { how: 'performance.now loop', meanMs: times.reduce((a, b) => a + b, 0) / times.length, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

/** Peak RSS in kB of one run, by /usr/bin/time -f %M; the median of 5 runs. */
function peakKb(cmd: string[], env: NodeJS.ProcessEnv): number {
  if (!existsSync('/usr/bin/time')) return NaN;
  const kbs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], { env, encoding: 'utf8' });
    kbs.push(Number(r.stderr.trim().split('\n').at(-1)));
  }
  return median(kbs);
}

const rows: Array<[string, string, ReturnType<typeof wallTime>, number]> = [];

const dir = scratch('control-tsgid');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
const d = await startTsgid(dir, `apps:\n  a:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n  b:\n    app: ./hello.mjs\n    listen: "127.0.0.1:0"\n    workers: 2\n`);
try {
  const cmd = [process.execPath, TSGICTL, '--socket', d.socket, 'status', '--json'];
  rows.push(['tsgictl status --json', `node dist/cli/main.js --socket admin.sock status --json`, wallTime(cmd, process.env), peakKb(cmd, process.env)]);
} finally {
  await d.stop();
}

if (!values['no-pm2']) {
  const pm2 = pm2Bin();
  const pdir = scratch('control-pm2');
  const env = { ...process.env, PM2_HOME: join(pdir, '.pm2') };
  writeFileSync(join(pdir, 'server.cjs'), `require('http').createServer(${HELLO_CJS.replace('module.exports = ', '').trim().replace(/;$/, '')}).listen(0, '127.0.0.1');\n`);
  execFileSync(pm2, ['start', join(pdir, 'server.cjs'), '-i', '2', '--name', 'a'], { env, stdio: 'ignore' });
  execFileSync(pm2, ['start', join(pdir, 'server.cjs'), '-i', '2', '--name', 'b'], { env, stdio: 'ignore' });
  await sleep(1500);
  try {
    const cmd = [pm2, 'jlist'];
    rows.push(['pm2 jlist', 'pm2 jlist', wallTime(cmd, env), peakKb(cmd, env)]);
  } finally {
    execFileSync(pm2, ['kill'], { env, stdio: 'ignore' });
  }
}

console.log(`\nControl path — ${machine()}; 2 apps × 2 workers running; ${RUNS} runs after 3 warm-ups; peak RSS = median of 5 runs of /usr/bin/time -f %M\n`);
console.log(row(['command', 'timed with', 'mean ms', 'median ms', 'min ms', 'max ms', 'peak RSS MB']));
console.log(row(['---', '---', '---:', '---:', '---:', '---:', '---:']));
for (const [name, , t, kb] of rows) console.log(row([`\`${name}\``, t.how, t.meanMs.toFixed(1), t.medianMs.toFixed(1), t.minMs.toFixed(1), t.maxMs.toFixed(1), (kb / 1024).toFixed(1)]));
