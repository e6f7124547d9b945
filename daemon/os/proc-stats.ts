/**
 * Memory and CPU of many processes, read from Linux's /proc/<pid>/stat: one small synchronous
 * read per process into one reused buffer, through a descriptor kept open while the process is
 * sampled. /proc is generated in memory, so the read never waits on a disk; pidusage (used
 * elsewhere) reads the same file through the thread pool with a callback, a buffer and a timer
 * per process, which at 100 workers was most of an idle daemon's CPU.
 *
 * A process that used no CPU since its last read is read less often: every 2nd, then 4th, then
 * 8th call at most, its last figures given meanwhile (CPU 0: it was idle). A process that does
 * not run cannot change its memory by itself, and one that runs again is read at every call from
 * the next one on. At 100 idle workers this reads ~15 files a second instead of 100.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ProcStats } from './process-ops.js';

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Node runs on. */
const TICKS_PER_S = 100;
/** Calls an idle process may go unread, at most. */
const MAX_SKIP = 7;
/** `(comm)` is at most 16 bytes, the rest of the line well under 400. */
const buf = Buffer.alloc(1024);

interface Sampled {
  fd: number;
  ticks: number;
  at: number;
  stats: ProcStats;
  /** calls left before the next read */
  skip: number;
  /** reads in a row that found no CPU used */
  idle: number;
}

/** by pid: the processes asked for last time */
let known = new Map<number, Sampled>();
let pageSize: number | undefined;

export function procStatsAvailable(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

/** A pid that is gone (or unreadable) is missing from the result. CPU is percent of one core since the previous read; the first time, since the process started. */
export function readProcStats(pids: readonly number[]): Map<number, ProcStats> {
  pageSize ??= systemPageSize();
  const now = performance.now();
  const out = new Map<number, ProcStats>();
  const next = new Map<number, Sampled>();
  let uptime: number | undefined;
  for (const pid of pids) {
    const before = known.get(pid);
    known.delete(pid);
    if (before !== undefined && before.skip > 0) {
      before.skip--;
      next.set(pid, before);
      out.set(pid, before.stats);
      continue;
    }
    const fd = before?.fd ?? openStat(pid);
    const line = fd === undefined ? undefined : readStat(fd);
    if (line === undefined) {
      if (fd !== undefined) closeSync(fd);
      continue;
    }
    // fields after `pid (comm) `: state is field 3, so field n is at n - 3
    const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    const rss = Number(f[21]) * pageSize;
    if (!Number.isFinite(ticks) || !Number.isFinite(rss)) {
      closeSync(fd!);
      continue;
    }
    let cpu: number;
    if (before !== undefined && now > before.at) cpu = ((ticks - before.ticks) / TICKS_PER_S / ((now - before.at) / 1000)) * 100;
    else {
      uptime ??= systemUptime();
      const alive = uptime - Number(f[19]) / TICKS_PER_S;
      cpu = alive > 0 ? (ticks / TICKS_PER_S / alive) * 100 : 0;
    }
    const idle = before !== undefined && ticks === before.ticks ? before.idle + 1 : 0;
    const stats = { rss, cpu: Math.max(0, cpu), cpuSeconds: ticks / TICKS_PER_S };
    next.set(pid, { fd: fd!, ticks, at: now, stats: idle > 0 ? { ...stats, cpu: 0 } : stats, skip: Math.min(MAX_SKIP, 2 ** idle - 1), idle });
    out.set(pid, stats);
  }
  // the processes no longer asked for (gone, or no longer workers) let go of their descriptors
  for (const gone of known.values()) closeSync(gone.fd);
  known = next;
  return out;
}

function openStat(pid: number): number | undefined {
  try {
    return openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
}

/** undefined once the process has exited: its open /proc file then reads ESRCH, even if the pid was reused. */
function readStat(fd: number): string | undefined {
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n > 0 ? buf.toString('latin1', 0, n) : undefined;
  } catch {
    return undefined;
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
