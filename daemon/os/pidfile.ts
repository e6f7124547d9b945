/** The pid file (0600, in a 0700 folder): written at start, removed at a clean exit; a live pid in it means "already running". */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TsgiError } from '../errors.js';
import { runtimeDir } from './runtime-dir.js';

/** `replacing`: the pid of the tsgid this one takes over from (an upgrade), which is still alive. */
export function writePidfile(path: string, replacing?: number): void {
  const old = readPid(path);
  if (old !== undefined && old !== process.pid && old !== replacing && alive(old)) {
    throw new TsgiError('TSGI_ERR_DAEMON_RUNNING', `pidfile: ${path} belongs to a running tsgid (pid ${old}); stop it, or set another \`pidfile:\` in this config`);
  }
  runtimeDir(dirname(path));
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  // a stale file keeps the mode it was made with
  chmodSync(path, 0o600);
}

export function removePidfile(path: string): void {
  if (readPid(path) === process.pid) rmSync(path, { force: true });
}

export function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
