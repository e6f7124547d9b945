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
  /** the call that last asked for it: one that was not asked for is let go */
  call: number;
}

/** by pid: the processes asked for, kept from call to call (nothing is rebuilt per call: at 100 workers, once a second) */
const known = new Map<number, Sampled>();
let calls = 0;
let pageSize: number | undefined;

export function procStatsAvailable(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

/**
 * A pid that is gone (or unreadable) is missing from the result. CPU is percent of one core since
 * the previous read; the first time, since the process started. `partial`: `pids` is some of the
 * processes sampled (the sampler's limited rounds); the others keep their descriptors and pace,
 * which a full call (the default) lets go of for the pids it does not name.
 */
export function readProcStats(pids: readonly number[], partial = false): Map<number, ProcStats> {
  pageSize ??= systemPageSize();
  const call = ++calls;
  const now = performance.now();
  const out = new Map<number, ProcStats>();
  let uptime: number | undefined;
  for (const pid of pids) {
    const before = known.get(pid);
    if (before !== undefined && before.skip > 0) {
      before.skip--;
      before.call = call;
      out.set(pid, before.stats);
      continue;
    }
    const fd = before?.fd ?? openStat(pid);
    const n = fd === undefined ? 0 : readStat(fd);
    const f = n > 0 ? parseStat(n) : undefined;
    if (f === undefined) {
      if (fd !== undefined) closeSync(fd);
      known.delete(pid);
      continue;
    }
    const ticks = f.utime + f.stime;
    const rss = f.rss * pageSize;
    let cpu: number;
    if (before !== undefined && now > before.at) cpu = ((ticks - before.ticks) / TICKS_PER_S / ((now - before.at) / 1000)) * 100;
    else {
      uptime ??= systemUptime();
      const alive = uptime - f.starttime / TICKS_PER_S;
      cpu = alive > 0 ? (ticks / TICKS_PER_S / alive) * 100 : 0;
    }
    const idle = before !== undefined && ticks === before.ticks ? before.idle + 1 : 0;
    const stats = { rss, cpu: Math.max(0, cpu), cpuSeconds: ticks / TICKS_PER_S };
    const kept = { fd: fd!, ticks, at: now, stats: idle > 0 ? { ...stats, cpu: 0 } : stats, skip: Math.min(MAX_SKIP, 2 ** idle - 1), idle, call };
    if (before === undefined) known.set(pid, kept);
    else Object.assign(before, kept);
    out.set(pid, stats);
  }
  // the processes no longer asked for (gone, or no longer workers) let go of their descriptors
  if (partial) return out;
  for (const [pid, s] of known) {
    if (s.call === call) continue;
    closeSync(s.fd);
    known.delete(pid);
  }
  return out;
}

/** The fields of /proc/<pid>/stat read here (proc(5), numbered from 1). */
const UTIME = 14;
const STIME = 15;
const STARTTIME = 22;
const RSS = 24;
const parsed = { utime: 0, stime: 0, starttime: 0, rss: 0 };

/**
 * The numbers wanted, straight from the buffer's first `n` bytes (no string, no split): the
 * fields after `(comm)` (which may hold spaces and parentheses, hence the last `)`) are numbers
 * separated by single spaces. Undefined if the line is cut short.
 */
function parseStat(n: number): typeof parsed | undefined {
  const close = buf.lastIndexOf(0x29, n - 1);
  if (close < 0) return undefined;
  // the byte after `) ` is field 3 (state)
  let field = 3;
  let value = 0;
  for (let i = close + 2; i < n; i++) {
    const c = buf[i]!;
    if (c === 0x20 || c === 0x0a) {
      if (field === UTIME) parsed.utime = value;
      else if (field === STIME) parsed.stime = value;
      else if (field === STARTTIME) parsed.starttime = value;
      else if (field === RSS) {
        parsed.rss = value;
        return parsed;
      }
      field++;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) value = value * 10 + (c - 0x30);
  }
  return undefined;
}

function openStat(pid: number): number | undefined {
  try {
    return openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
}

/** Bytes read into `buf`; 0 once the process has exited (its open /proc file then reads ESRCH, even if the pid was reused). */
function readStat(fd: number): number {
  try {
    return readSync(fd, buf, 0, buf.length, 0);
  } catch {
    return 0;
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
