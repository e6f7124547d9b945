/**
 * What the access log costs: hello world, 2 workers, 50 keep-alive connections, with no access
 * log, a combined one and a json one (written to a file), alternating per round; medians of
 * req/s, and of CPU time (arbiter + workers) per request, which a busy machine disturbs less.
 *
 *   npm run build && node dist/bench/access-log.js [--seconds 5] [--rounds 3]
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminGet, cpuSeconds, freePort, HELLO, machine, median, row, scratch, startTsgid, wrk } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

const MODES = { off: '', combined: '    access_log: access.log\n', json: '    access_log: access.log\n    access_log_format: json\n' } as const;
type Mode = keyof typeof MODES;

async function round(mode: Mode, n: number): Promise<{ rps: number; cpuUs: number }> {
  const dir = join(scratch('access-log'), `${mode}-${n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hello.mjs'), HELLO);
  const port = await freePort();
  const d = await startTsgid(dir, `apps:\n  h:\n    app: ./hello.mjs\n    listen: "127.0.0.1:${port}"\n    workers: 2\n${MODES[mode]}`);
  try {
    const status = await adminGet<{ apps: Array<{ workers: Array<{ pid: number }> }> }>(d.socket, '/v1/apps');
    const pids = [d.proc.pid!, ...status.apps[0]!.workers.map((w) => w.pid)];
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const before = cpu();
    const r = await wrk(`http://127.0.0.1:${port}/`, { seconds: SECONDS });
    const used = cpu() - before;
    if (mode !== 'off') console.error(`${mode}: ${r.requests} requests, access.log ${statSync(join(dir, 'access.log')).size} bytes`);
    return { rps: r.rps, cpuUs: (used / r.requests) * 1e6 };
  } finally {
    await d.stop();
  }
}

const rps: Record<Mode, number[]> = { off: [], combined: [], json: [] };
const cpuUs: Record<Mode, number[]> = { off: [], combined: [], json: [] };
for (let n = 0; n < ROUNDS; n++) {
  for (const mode of Object.keys(MODES) as Mode[]) {
    const r = await round(mode, n);
    rps[mode].push(r.rps);
    cpuUs[mode].push(r.cpuUs);
  }
}
console.log(`access log cost, hello world, 2 workers, wrk -c50 ${SECONDS}s x ${ROUNDS} rounds; ${machine()}`);
console.log(row(['access log', 'req/s (median)', 'vs off', 'CPU µs/request (median)', 'vs off', 'req/s rounds']));
for (const mode of Object.keys(MODES) as Mode[]) {
  const m = median(rps[mode]);
  const c = median(cpuUs[mode]);
  const pct = (x: number, base: number) => `${((x / base) * 100).toFixed(1)}%`;
  console.log(row([mode, Math.round(m), pct(m, median(rps.off)), c.toFixed(1), pct(c, median(cpuUs.off)), rps[mode].map(Math.round).join(' ')]));
}
