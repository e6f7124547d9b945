/**
 * Where a reload's latency tail comes from: bench/reload.ts's load (wrk, 50 connections, hello
 * world, 2 workers, a reload every `--every` s) with, beside it, a timeline in 100 ms buckets laid
 * on the moment each reload's new workers are all ready (the switch, before slow_start): wrk's responses per
 * bucket (a Lua counter on CLOCK_REALTIME), a probe's latency (one `Connection: close` GET at a
 * time, 5 ms apart) and the CPU each process ran (/proc/<pid>/task/<tid>/schedstat: the arbiter,
 * the old generation, the new one, wrk, the rest of the machine from /proc/stat). Worker states
 * come from the daemon's own feed (GET /v1/events).
 *
 *   npm run build && node dist/bench/reload-timeline.js [--close] [--seconds 35] [--every 3.5] [--bin <dist/daemon/main.js>] [--json out.json]
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { children, HELLO, scratch, sleep, startTsgid, TSGICTL, TSGID, wrk } from './lib.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '35' }, every: { type: 'string', default: '3.5' }, close: { type: 'boolean', default: false }, bin: { type: 'string', default: TSGID }, json: { type: 'string' }, yaml: { type: 'string', default: '' } } });
const SECONDS = Number(values.seconds);
const EVERY_MS = Number(values.every) * 1000;
const BUCKET_MS = 100;
/** the window laid on each switch: from 2 s before to 3 s after */
const FROM = -20;
const TO = 30;

const COUNTER = join(tmpdir(), 'tsgi-bench-reload-timeline.lua');
writeFileSync(COUNTER, `local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } tsgi_timespec;
int clock_gettime(int clk_id, tsgi_timespec *tp);
]]
local ts = ffi.new("tsgi_timespec[1]")
local threads = {}
function setup(thread) table.insert(threads, thread) end
buckets = {}
function response(status, headers, body)
  ffi.C.clock_gettime(0, ts)
  local b = tonumber(ts[0].tv_sec) * 10 + math.floor(tonumber(ts[0].tv_nsec) / 100000000)
  buckets[b] = (buckets[b] or 0) + 1
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("buckets")) do io.write(string.format("bucket %d %d\\n", k, v)) end
  end
end
`);

interface WorkerEv { t: number; worker: number; pid: number; from: string; to: string; reason?: string }
interface Sample { t: number; ns: Map<number, number>; busy: number }

/** CPU ns a process's threads ran so far (0 once gone). */
function runNs(pid: number): number {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch { /* ended */ }
    }
  } catch { /* gone */ }
  return ns;
}

/** busy jiffies of the whole machine (/proc/stat: all but idle and iowait) */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
}

function events(socket: string, out: WorkerEv[]): () => void {
  const req = http.request({ socketPath: socket, path: '/v1/events', agent: false }, (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n\n')) !== -1) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!frame.startsWith('event: worker')) continue;
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (data !== undefined) out.push({ t: Date.now(), ...(JSON.parse(data) as Omit<WorkerEv, 't'>) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}

async function probe(url: URL, until: number, out: Array<[number, number]>): Promise<void> {
  while (Date.now() < until) {
    const t0 = performance.now();
    const at = Date.now();
    await new Promise<void>((resolve) => {
      const req = http.get({ host: url.hostname, port: url.port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.setTimeout(10_000, () => req.destroy());
    });
    out.push([at, performance.now() - t0]);
    await sleep(5);
  }
}

const dir = scratch('reload-timeline');
writeFileSync(join(dir, 'hello.mjs'), HELLO);
const d = await startTsgid(dir, `apps:\n  hello:\n    app: ./hello.mjs\n    listen: "127.0.0.1:8712"\n    workers: 2\n${values.yaml.replace(/^(?=.)/gm, "    ")}`, values.bin);
const evs: WorkerEv[] = [];
const stopEvents = events(d.socket, evs);
const samples: Sample[] = [];
const probes: Array<[number, number]> = [];
const reloads: number[] = [];
const url = new URL('http://127.0.0.1:8712/');
const load0 = loadavg()[0]!;
let out = '';
let wrkDone!: () => void;
const wrkExited = new Promise<void>((resolve) => (wrkDone = resolve));
const wrkProc = execFile('wrk', ['-t2', '-c50', `-d${SECONDS}s`, '--timeout', '10s', ...(values.close ? ['-H', 'Connection: close'] : []), '-s', COUNTER, url.href], (_e, stdout) => {
  out = stdout;
  wrkDone();
});
const until = Date.now() + SECONDS * 1000;
const sampler = setInterval(() => {
  const ns = new Map<number, number>();
  const tsgid = d.proc.pid!;
  for (const pid of [tsgid, wrkProc.pid!, ...children(tsgid)]) ns.set(pid, runNs(pid));
  samples.push({ t: Date.now(), ns, busy: machineBusy() });
}, BUCKET_MS);
const probing = probe(url, until - 300, probes);
await sleep(500);
while (Date.now() < until - 1000) {
  const t = Date.now();
  reloads.push(t);
  execFile(process.execPath, [TSGICTL, '--socket', d.socket, 'reload', 'hello'], () => {});
  await sleep(Math.max(0, EVERY_MS - (Date.now() - t)));
}
await probing;
await wrkExited;
clearInterval(sampler);
stopEvents();
await d.stop();
void wrk;

const buckets = new Map<number, number>();
for (const m of out.matchAll(/^bucket (\d+) (\d+)$/gm)) buckets.set(Number(m[1]), (buckets.get(Number(m[1])) ?? 0) + Number(m[2]));

// each reload: its spawn (first new worker starting), its switch (first old worker told to drain), who is old and new
interface Phase { spawn: number; ready: number[]; drains: number[]; old: Set<number>; fresh: Set<number> }
const phases: Phase[] = [];
const pidOf = new Map<number, number>();
for (const e of evs) if (e.pid) pidOf.set(e.worker, e.pid);
let gen = new Set<number>(evs.filter((e) => e.to === 'ready').slice(0, 2).map((e) => e.worker));
for (const e of evs) {
  if (e.reason !== 'reload' || e.to !== 'draining') continue;
  const last = phases.at(-1);
  if (last !== undefined && last.old.has(e.worker)) {
    last.drains.push(e.t);
    continue;
  }
  const fresh = new Set(evs.filter((x) => x.from === 'starting' && x.to === 'ready' && x.t <= e.t && !gen.has(x.worker) && !phases.some((p) => p.fresh.has(x.worker) || p.old.has(x.worker))).map((x) => x.worker));
  const spawn = Math.min(...evs.filter((x) => fresh.has(x.worker) && x.from === 'starting' && x.to === 'starting').map((x) => x.t));
  const ready = evs.filter((x) => fresh.has(x.worker) && x.to === 'ready').map((x) => x.t);
  if (ready.length === 0) continue;
  phases.push({ spawn, ready, drains: [e.t], old: new Set([e.worker, ...gen]), fresh });
  gen = fresh;
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};
/** CPU ms of `pids` between the samples around [a, b) */
const cpuMs = (pids: Iterable<number>, a: number, b: number): number => {
  const s0 = samples.find((s) => s.t >= a);
  const s1 = samples.find((s) => s.t >= b);
  if (s0 === undefined || s1 === undefined) return NaN;
  let ns = 0;
  for (const p of pids) {
    const x0 = s0.ns.get(p) ?? 0;
    const x1 = s1.ns.get(p) ?? x0;
    // a process born in between started at 0; one gone in between is counted to its last sample
    ns += Math.max(0, x1 - x0);
  }
  return ns / 1e6;
};
const busyMs = (a: number, b: number): number => {
  const s0 = samples.find((s) => s.t >= a);
  const s1 = samples.find((s) => s.t >= b);
  return s0 === undefined || s1 === undefined ? NaN : (s1.busy - s0.busy) * 10;
};
/** a process gone between samples: its last reading stands in for later ones */
for (let i = 1; i < samples.length; i++) for (const [p, v] of samples[i - 1]!.ns) if (!samples[i]!.ns.has(p)) samples[i]!.ns.set(p, v);

const rows: string[] = [];
rows.push(`\nReload timeline — ${values.close ? 'Connection: close' : 'keep-alive'}, ${phases.length} switches, load average at start ${load0.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)}; per 100 ms from the moment every new worker is ready (before slow_start: the switch), probe latencies pooled over reloads, req/s and CPU ms averaged per reload; Little's law: mean latency ≈ 50 / req/s`);
rows.push(`boot (spawn → last new ready) ms per reload: ${phases.map((p) => (Math.max(...p.ready) - p.spawn).toFixed(0)).join(' ')}; ready → switch: ${phases.map((p) => (p.drains[0]! - Math.max(...p.ready)).toFixed(0)).join(' ')}`);
rows.push('| t ms | wrk req/s | mean ms | probe n | probe p50 | probe p90 | probe max | CPU ms: arbiter | old | new | wrk | rest | idle |');
rows.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const json: unknown[] = [];
for (let b = FROM; b < TO; b++) {
  let reqs = 0; let arb = 0; let old = 0; let fresh = 0; let w = 0; let busy = 0; let n = 0;
  const lat: number[] = [];
  for (const ph of phases) {
    const a = Math.max(...ph.ready) + b * BUCKET_MS;
    const z = a + BUCKET_MS;
    // wrk's buckets are aligned on the clock: the one holding this bucket's start
    reqs += buckets.get(Math.floor(a / BUCKET_MS)) ?? 0;
    for (const [t, ms] of probes) if (t >= a && t < z) lat.push(ms);
    const oldPids = [...ph.old].map((x) => pidOf.get(x)!).filter(Boolean);
    const freshPids = [...ph.fresh].map((x) => pidOf.get(x)!).filter(Boolean);
    const ar = cpuMs([d.proc.pid!], a, z); const o = cpuMs(oldPids, a, z); const f = cpuMs(freshPids, a, z); const wk = cpuMs([wrkProc.pid!], a, z); const bu = busyMs(a, z);
    if (Number.isNaN(ar)) continue;
    n++; arb += ar; old += o; fresh += f; w += wk; busy += bu;
  }
  const k = Math.max(1, n);
  const row = { t: b * BUCKET_MS, rps: (reqs / phases.length) * 10, n: lat.length, p50: pct(lat, 50), p90: pct(lat, 90), max: pct(lat, 100), arbiter: arb / k, old: old / k, fresh: fresh / k, wrk: w / k, rest: (busy - arb - old - fresh - w) / k, idle: 200 - busy / k };
  json.push(row);
  rows.push(`| ${row.t} | ${row.rps.toFixed(0)} | ${(50_000 / row.rps).toFixed(1)} | ${row.n} | ${row.p50.toFixed(1)} | ${row.p90.toFixed(1)} | ${row.max.toFixed(1)} | ${row.arbiter.toFixed(0)} | ${row.old.toFixed(0)} | ${row.fresh.toFixed(0)} | ${row.wrk.toFixed(0)} | ${row.rest.toFixed(0)} | ${row.idle.toFixed(0)} |`);
}
const overall = probes.map(([, ms]) => ms);
rows.push(`probe overall: n ${overall.length}, p50 ${pct(overall, 50).toFixed(1)}, p99 ${pct(overall, 99).toFixed(1)}, max ${pct(overall, 100).toFixed(1)} ms; wrk: ${/Requests\/sec:\s+[\d.]+/.exec(out)?.[0]}, ${/99%\s+\S+/.exec(out)?.[0]}`);
console.log(rows.join('\n'));
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ phases: phases.map((p) => ({ ...p, old: [...p.old], fresh: [...p.fresh] })), rows: json, reloads }, null, 1));
