/**
 * Memory and CPU of many processes, read from Linux's /proc/<pid>/stat: one small synchronous
 * read per process into one reused buffer. /proc is generated in memory, so the read never waits
 * on a disk; pidusage (used elsewhere) reads the same file through the thread pool with a callback,
 * a buffer and a timer per process, which at 100 workers was most of an idle daemon's CPU.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ProcStats } from './process-ops.js';

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Node runs on. */
const TICKS_PER_S = 100;
/** `(comm)` is at most 16 bytes, the rest of the line well under 400. */
const buf = Buffer.alloc(1024);
/** the previous sample of each process, for its CPU over the interval */
let previous = new Map<number, { ticks: number; at: number }>();
let pageSize: number | undefined;

export function procStatsAvailable(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

/** A pid that is gone (or unreadable) is missing from the result. CPU is percent of one core since the previous call; the first time, since the process started. */
export function readProcStats(pids: readonly number[]): Map<number, ProcStats> {
  pageSize ??= systemPageSize();
  const now = performance.now();
  const out = new Map<number, ProcStats>();
  const next = new Map<number, { ticks: number; at: number }>();
  let uptime: number | undefined;
  for (const pid of pids) {
    const line = readStat(pid);
    if (line === undefined) continue;
    // fields after `pid (comm) `: state is field 3, so field n is at n - 3
    const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const rss = Number(f[21]) * pageSize;
    if (!Number.isFinite(ticks) || !Number.isFinite(rss)) continue;
    const before = previous.get(pid);
    let cpu: number;
    if (before !== undefined && now > before.at) cpu = ((ticks - before.ticks) / TICKS_PER_S / ((now - before.at) / 1000)) * 100;
    else {
      uptime ??= systemUptime();
      const alive = uptime - Number(f[19]) / TICKS_PER_S;
      cpu = alive > 0 ? (ticks / TICKS_PER_S / alive) * 100 : 0;
    }
    next.set(pid, { ticks, at: now });
    out.set(pid, { rss, cpu: Math.max(0, cpu), cpuSeconds: ticks / TICKS_PER_S });
  }
  // only the processes asked for this time: the gone ones are forgotten
  previous = next;
  return out;
}

function readStat(pid: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('latin1', 0, n);
  } catch {
    // the process exited between open and read (ESRCH)
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function systemUptime(): number {
  return Number(readFileSync('/proc/uptime', 'latin1').split(' ', 1)[0]);
}

/** AT_PAGESZ (6) from the auxiliary vector: 4 KB on x86-64, 4, 16 or 64 KB on arm64. */
function systemPageSize(): number {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    for (let i = 0; i + 16 <= auxv.length; i += 16) {
      if (auxv.readBigUInt64LE(i) === 6n) return Number(auxv.readBigUInt64LE(i + 8));
    }
  } catch {
    // fall through to the common size
  }
  return 4096;
}
