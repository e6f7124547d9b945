/**
 * `tsgictl upgrade` and SIGUSR2, the old tsgid's side (gunicorn's USR2 re-exec, nginx's binary
 * upgrade): start the tsgid now installed on disk with every listening socket (LISTEN_FDS, its
 * LISTEN_PID set by the shell that execs it), hand it the running app set over an IPC channel,
 * and keep serving until it says every app is ready on them. Then stop accepting, drain as a
 * shutdown does, and exit. Until then the new one accepts nothing for itself: what it accepts
 * comes back here (upgrade-successor.ts). If it fails, it is stopped and this one serves on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import type { Arbiter } from '../arbiter/arbiter.js';
import type { Config } from '../config/index.js';
import { TsgiError } from '../errors.js';
import { countUpgrade, lineage } from './lineage.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../os/sd-notify.js';
import { keepForSuccessor } from '../os/sockets.js';
import { deliver, divertAccepts, handleFd } from '../os/listen-handle.js';
import type { Handover, HandoverFd, UpgradeMessage } from './upgrade-messages.js';

export interface UpgradeResult {
  old_pid: number;
  new_pid: number;
  version: string;
  upgrades: number;
}

export interface UpgraderDeps {
  arbiter: Arbiter;
  config: Config;
  log: Logger;
  /** systemd's: the new tsgid needs its NOTIFY_SOCKET to say it is the main process now, and its watchdog */
  systemd?: Pick<Notifier, 'socket' | 'watchdogMs'>;
  /** the npm that ran this tsgid (npx), which the new one stops with too (daemon/os/foreground.ts) */
  launcher?: number;
  /** the admin API's listening socket, set once it listens */
  admin?: net.Server;
  /** what `tsgid` is: this node, its flags and this script (the files on disk now) */
  command?: string[];
}

/** How long a new tsgid that took over the sockets has, after SIGTERM, before SIGKILL. */
const KILL_AFTER_MS = 10_000;

export class Upgrader {
  private busy = false;
  /** set once a successor took over: this process only drains now */
  retiring = false;

  constructor(private readonly deps: UpgraderDeps) {}

  set admin(server: net.Server) {
    this.deps.admin = server;
  }

  set launcher(pid: number | undefined) {
    this.deps.launcher = pid;
  }

  upgrade(): Promise<UpgradeResult> {
    if (this.busy || this.retiring) return Promise.reject(new TsgiError('TSGI_ERR_DAEMON_UPGRADE_BUSY', this.retiring ? 'this tsgid has already handed over to a new one' : 'an upgrade is already under way'));
    if (this.deps.arbiter.stopping) return Promise.reject(new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down'));
    this.busy = true;
    return this.run().then(
      (r) => {
        countUpgrade('ok');
        return r;
      },
      (err: unknown) => {
        this.busy = false;
        countUpgrade('failed');
        this.deps.log.error(`upgrade failed, this tsgid keeps serving: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      },
    );
  }

  private sockets(): Array<{ server: net.Server; fd: HandoverFd }> {
    const apps = this.deps.arbiter.heldSockets().map(({ app, key, server, owned }) => ({ server, fd: { role: 'app' as const, app, key, owned } }));
    const admin = this.deps.admin === undefined ? [] : [{ server: this.deps.admin, fd: { role: 'admin' as const, key: this.deps.config.admin.listen.raw, owned: true } }];
    return [...apps, ...admin];
  }

  private async run(): Promise<UpgradeResult> {
    const { arbiter, config, log } = this.deps;
    const sockets = this.sockets();
    const fds = sockets.map((s) => handleFd(s.server));
    const status = arbiter.status();
    const handover: Handover = {
      t: 'handover',
      from: process.pid,
      upgrades: lineage().upgrades,
      fds: sockets.map((s) => s.fd),
      ...(this.deps.launcher === undefined ? {} : { launcher: this.deps.launcher }),
      ready_apps: status.apps.filter((a) => a.state === 'running').map((a) => a.name),
      failure_file: `${config.pidfile}.upgrade-error`,
    };
    rmSync(handover.failure_file, { force: true });
    const names = sockets.map((s) => (s.fd.role === 'admin' ? 'tsgid-admin' : s.fd.app!)).join(':');
    const [node, ...args] = this.deps.command ?? [process.execPath, ...process.execArgv, process.argv[1]!];
    log.info(`upgrade: starting ${args.at(-1)} with ${fds.length} socket(s); this tsgid serves until it is ready`);
    // the shell's pid is the new tsgid's (exec), which sd_listen_fds() checks LISTEN_PID against
    const child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh', node!, ...args, '-c', config.file], {
      env: { ...process.env, LISTEN_FDS: String(fds.length), LISTEN_FDNAMES: names, TSGI_UPGRADE: '1', ...systemdEnv(this.deps.systemd) },
      stdio: ['ignore', 'inherit', 'inherit', ...fds, 'ipc'],
    });
    const servers = new Map(sockets.map((s, i) => [i, s.server]));
    const ready = await this.awaitReady(child, handover, servers);
    this.retire(child, servers);
    return { old_pid: process.pid, new_pid: ready.pid, version: ready.version, upgrades: handover.upgrades + 1 };
  }

  /** Resolves on the new tsgid's "ready"; rejects (and stops it) on its failure, exit or timeout. */
  private awaitReady(child: ChildProcess, handover: Handover, servers: Map<number, net.Server>): Promise<{ pid: number; version: string }> {
    const timeout = this.deps.config.upgrade_timeout;
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (why: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (child.exitCode === null && child.signalCode === null) stop(child);
        reject(new TsgiError('TSGI_ERR_DAEMON_UPGRADE_FAILED', `the new tsgid (pid ${child.pid ?? '?'}) did not take over: ${why}; this tsgid (pid ${process.pid}) keeps serving`));
      };
      const onMessage = (m: UpgradeMessage, handle?: unknown): void => {
        // connections the new tsgid accepted before it was ready: served here
        if (m.t === 'conn') return deliver(servers.get(m.i), handle);
        if (m.t === 'failed') return fail(m.message);
        if (m.t !== 'ready' || done) return;
        done = true;
        clearTimeout(timer);
        resolve({ pid: m.pid, version: m.version });
      };
      const timer = setTimeout(() => fail(`not every app was ready within upgrade_timeout (${timeout} ms)`), timeout);
      child.on('message', onMessage);
      child.once('error', (err) => fail(`it could not be started: ${err.message}`));
      child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`})${reason(handover.failure_file)}`));
      child.send(handover, (err) => {
        if (err !== null) fail(`the hand-over could not be sent: ${err.message}`);
      });
    });
  }

  /**
   * The new tsgid serves now. Stop accepting: a TCP socket (or one passed in) is closed here, which
   * leaves it open in the new one; a unix socket this process bound stays open, as closing it
   * would unlink its file, and what it still accepts goes to the new tsgid. Then drain and exit.
   */
  private retire(child: ChildProcess, byIndex: Map<number, net.Server>): void {
    this.retiring = true;
    const { arbiter, log } = this.deps;
    for (const [i, server] of byIndex) {
      keepForSuccessor(server);
      if (typeof server.address() === 'string') forwardTo(child, server, i);
      else server.close();
    }
    log.info(`upgrade: tsgid ${child.pid} serves now; draining this one (pid ${process.pid})`);
    child.channel?.unref();
    child.unref();
    void arbiter
      .command({ kind: 'shutdown', now: true })
      .catch((err: unknown) => log.error(`upgrade: drain: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        const exit = (): void => {
          log.info('upgrade: drained; exiting');
          process.exit(0);
        };
        // a connection accepted here and still on its way to the new tsgid would be reset by the
        // exit: wait for the last one to arrive (bounded), then exit in that same turn, so no accept
        // comes between; what the kernel has not handed out yet waits in the backlog the new one shares
        if (forwarding.inFlight === 0) return exit();
        forwarding.idle = exit;
        setTimeout(exit, FORWARD_WAIT_MS);
      });
  }
}

/** After the hand-over, what a kept unix socket still accepts goes to the new tsgid. */
function forwardTo(child: ChildProcess, server: net.Server, i: number): void {
  const undo = divertAccepts(server, (client) => {
    forwarding.inFlight++;
    child.send({ t: 'conn', i }, client as never, (err) => {
      forwarding.inFlight--;
      // the new tsgid is gone: this one's draining workers are all that is left to answer
      if (err === null) (client as { close(): void }).close();
      else {
        undo();
        deliver(server, client);
      }
      if (forwarding.inFlight === 0) forwarding.idle?.();
    });
    return true;
  });
}

/** Connections sent on to the new tsgid whose sending has not finished: the exit waits for them. */
const forwarding: { inFlight: number; idle: (() => void) | undefined } = { inFlight: 0, idle: undefined };
/** How long the exit waits for them at most. */
const FORWARD_WAIT_MS = 5000;

/**
 * systemd's variables, which this tsgid removed from its environment: the new one tells systemd
 * it is the main process now (NotifyAccess=all), and pings the watchdog from its own loop from
 * the start (no WATCHDOG_PID: it is for the process that reads it).
 */
function systemdEnv(systemd: UpgraderDeps['systemd']): NodeJS.ProcessEnv {
  if (systemd?.socket === undefined) return {};
  return { NOTIFY_SOCKET: systemd.socket, ...(systemd.watchdogMs === undefined ? {} : { WATCHDOG_USEC: String(Math.round(systemd.watchdogMs * 1000)) }) };
}

function reason(file: string): string {
  try {
    const text = readFileSync(file, 'utf8').trim();
    rmSync(file, { force: true });
    return text === '' ? '' : `: ${text}`;
  } catch {
    return '';
  }
}

function stop(child: ChildProcess): void {
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}
