/**
 * sd_notify for a Type=notify unit: READY=1, RELOADING=1, STOPPING=1, STATUS= and, under
 * WatchdogSec=, WATCHDOG=1 to $NOTIFY_SOCKET.
 *
 * That socket is a unix datagram socket, which Node cannot open without a native addon, so the
 * message goes through systemd's own client, systemd-notify(1). It sends from its own pid (hence
 * NotifyAccess=all in the unit) and, since systemd 246, waits until the manager has read the
 * message (BARRIER=1), so a message cannot be dropped because its sender exited before systemd
 * looked it up. These are rare events (started, reloading, stopping, a watchdog ping every
 * WatchdogSec/2): a process each costs nothing that matters, and nothing is added to the request path.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log.js';

export interface Notifier {
  /** Send `FIELD=value` lines, in order with earlier calls; never rejects (systemd is not required). */
  notify(...fields: string[]): Promise<void>;
  /**
   * The unit's WatchdogSec= in ms, from WATCHDOG_USEC (when WATCHDOG_PID, if set, is tsgid's
   * pid), or undefined: no watchdog, and WATCHDOG=1 must never be sent.
   */
  readonly watchdogMs: number | undefined;
  /** $NOTIFY_SOCKET as tsgid found it, for a new tsgid an upgrade starts (daemon/upgrade/upgrade.ts) */
  readonly socket?: string;
}

/**
 * Reads and removes NOTIFY_SOCKET (the workers inherit the environment, and must not speak for
 * tsgid). Without it, as when not run by systemd, every notify is a no-op.
 */
export function sdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env, command = 'systemd-notify', pid = process.pid): Notifier {
  const socket = env.NOTIFY_SOCKET;
  const watchdogMs = watchdogInterval(env, pid);
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (socket === undefined || socket === '') return { notify: () => Promise.resolve(), watchdogMs: undefined };
  let chain = Promise.resolve();
  let missing = false;
  const send = (fields: string[]): Promise<void> =>
    new Promise((resolve) => {
      if (missing) return resolve();
      const child = spawn(command, fields, { env: { ...env, NOTIFY_SOCKET: socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', (err) => {
        missing = true;
        log.warn(`NOTIFY_SOCKET is set but ${command} cannot be run (${err.message}); systemd will not hear from tsgid: install systemd, or use Type=exec`);
        resolve();
      });
      child.on('close', (code) => {
        if (code !== 0 && code !== null) log.warn(`sd_notify ${fields.join(' ')}: ${command} exited with ${code}${stderr === '' ? '' : `: ${stderr.trim()}`}`);
        resolve();
      });
    });
  return {
    socket,
    notify(...fields) {
      chain = chain.then(() => send(fields));
      return chain;
    },
    watchdogMs,
  };
}

/** sd_watchdog_enabled(3): WATCHDOG_USEC, for this pid (WATCHDOG_PID unset means this process). */
function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec / 1000;
}

/** CLOCK_MONOTONIC in µs, which RELOADING=1 carries for Type=notify-reload (systemd 253+); libuv's hrtime is that clock. */
export function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
