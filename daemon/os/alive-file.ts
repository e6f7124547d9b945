/**
 * A worker's sign of life without a message: gunicorn's WorkerTmp. The arbiter opens an unlinked
 * file per worker and passes it to the worker as a descriptor; a worker with nothing to report
 * touches it (futimes) every heartbeat interval, and the arbiter reads its ctime (set by the
 * kernel, so the worker cannot date it ahead) only when the worker's last message is older than
 * `timeout`. An idle worker thus costs the arbiter no wake-up at all between those reads: at 100
 * idle workers, one batch of fstat calls about every `timeout` instead of ten IPC messages a second,
 * which were most of an idle daemon's CPU (BENCHMARKS.md). In tmpfs (/dev/shm) where there is one,
 * so the touches never reach a disk.
 */
import { closeSync, existsSync, fchownSync, fstatSync, openSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The descriptor the worker gets it as: after stdin, stdout, stderr and the IPC channel. */
export const ALIVE_FD = 4;

const DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/**
 * An unlinked file only this process (and the worker it is passed to) holds; undefined if none
 * could be made (the worker then sends bare heartbeats). Owned by the worker's user, who may then
 * set its times (futimes with a time needs the owner).
 */
export function openAliveFile(uid?: number, gid?: number): number | undefined {
  const path = join(DIR, `tsgi-alive-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', 0o600);
    unlinkSync(path);
    if (uid !== undefined || gid !== undefined) fchownSync(fd, uid ?? -1, gid ?? -1);
    return fd;
  } catch {
    if (fd !== undefined) closeAliveFile(fd);
    return undefined;
  }
}

/** When the worker last touched it (the Date.now() clock, as ProcessOps.now), or undefined if it cannot be read. */
export function touchedAt(fd: number): number | undefined {
  try {
    return fstatSync(fd).ctimeMs;
  } catch {
    return undefined;
  }
}

export function closeAliveFile(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
