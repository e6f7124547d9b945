/**
 * A worker that boots while its app has others serving runs at a lower CPU priority (nice
 * BOOT_NICE) and gets its own back once it is ready (or is forgotten when it exits first). A reload, a crash replacement or a scale-up then
 * boots on the CPU the serving workers leave, instead of taking half of it on a 2-core machine:
 * under load, a reload booted two new workers beside the two serving ones, and requests waited
 * seconds. With nothing else to run, a niced boot is as fast as any other.
 *
 * Lowering a priority is always allowed; raising it back is not without CAP_SYS_NICE (or an
 * RLIMIT_NICE that allows it), and a worker stuck at nice 10 would serve slower for its whole
 * life. So this is done only where giving it back is allowed, checked once from
 * /proc/self/status (CapEff) and /proc/self/limits; elsewhere (Docker's default capabilities, a
 * non-root tsgid) boots run at the workers' normal priority. Linux only: a nice value belongs to
 * each thread, so every thread of the worker is set (/proc/<pid>/task), both ways.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { WorkerEvent } from './worker-record.js';

/** Weight 110 against 1024 at nice 0 (sched(7)): ~10 % of a core busy with serving, all of an idle one. */
export const BOOT_NICE = 10;
/** capability(7): CAP_SYS_NICE */
const CAP_SYS_NICE = 23;

/** Whether this process may give a worker back a nice value below BOOT_NICE (0, the usual one). */
export function mayRaisePriority(procSelf = '/proc/self'): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const cap = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`${procSelf}/status`, 'latin1'))?.[1];
    if (cap !== undefined && (BigInt(`0x${cap}`) >> BigInt(CAP_SYS_NICE)) & 1n) return true;
    // RLIMIT_NICE r lets an unprivileged process go down to nice 20 - r (setrlimit(2))
    const soft = /^Max nice priority\s+(\S+)/m.exec(readFileSync(`${procSelf}/limits`, 'latin1'))?.[1];
    return soft === 'unlimited' || Number(soft) >= 20;
  } catch {
    return false;
  }
}

export class BootPriority {
  /** pid → the nice value it had before its boot */
  private readonly lowered = new Map<number, number>();

  constructor(private readonly enabled = mayRaisePriority()) {}

  /**
   * A worker's state changed (the pool's events): lowered when it starts if its app has workers
   * serving (`serving`: a reload, a replacement, a scale-up; a first start has nobody to yield
   * to, and boots as fast as it can), given back when it leaves `starting`.
   */
  seen(e: WorkerEvent, serving: () => boolean): void {
    if (!this.enabled || e.pid === undefined) return;
    if (e.from === 'starting' && e.to === 'starting') {
      if (serving()) this.lower(e.pid);
    }
    else if (e.from === 'starting') this.restore(e.pid);
  }

  private lower(pid: number): void {
    try {
      const before = getPriority(pid);
      if (before >= BOOT_NICE) return;
      this.lowered.set(pid, before);
      setThreads(pid, BOOT_NICE);
    } catch {
      // gone already: its exit event follows, with nothing to give back
      this.lowered.delete(pid);
    }
  }

  private restore(pid: number): void {
    const before = this.lowered.get(pid);
    if (before === undefined) return;
    this.lowered.delete(pid);
    try {
      setThreads(pid, before);
    } catch {
      // it exited meanwhile
    }
  }
}

/** Every thread of `pid`: threads made during the boot (V8's, libuv's) took the main thread's value then. */
function setThreads(pid: number, nice: number): void {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    tids = [pid];
  }
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      // a thread that ended meanwhile
    }
  }
}
