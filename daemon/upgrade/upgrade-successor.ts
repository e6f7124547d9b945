/**
 * The new tsgid's side of an upgrade (upgrade.ts is the old one's). It takes the sockets the old
 * one passed (LISTEN_FDS) and the app set it was sent, starts every app's workers, and until they
 * are all ready sends each connection it accepts back to the old tsgid, which still serves: only
 * one tsgid answers at any moment. Then it writes the pidfile, says "ready", serves, and tells
 * systemd it is the main process now.
 */
import { writeFileSync } from 'node:fs';
import type net from 'node:net';
import type { Arbiter } from '../arbiter/arbiter.js';
import type { Config } from '../config/index.js';
import { TsgiError } from '../errors.js';
import { inheritLineage, lineage } from './lineage.js';
import { PassedFds, type PassedFd } from '../os/listen-fds.js';
import type { Logger } from '../log.js';
import { writePidfile } from '../os/pidfile.js';
import type { Notifier } from '../os/sd-notify.js';
import { setAdoptHook } from '../os/sockets.js';
import { deliver, divertAccepts } from '../os/listen-handle.js';
import type { Handover, UpgradeMessage } from './upgrade-messages.js';

/** The first fd of LISTEN_FDS. */
const FIRST_FD = 3;
/** How long a tsgid started for an upgrade waits for the old one's hand-over message. */
const HANDOVER_WAIT_MS = 30_000;

let failureFile: string | undefined;

/**
 * In a tsgid an upgrade started (TSGI_UPGRADE=1 and an IPC channel): the old tsgid's hand-over.
 * Otherwise undefined: a plain start. The variable is removed, so no worker inherits it.
 */
export function receiveHandover(env: NodeJS.ProcessEnv = process.env): Promise<Handover | undefined> {
  const upgrading = env.TSGI_UPGRADE === '1';
  delete env.TSGI_UPGRADE;
  if (!upgrading || process.send === undefined) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TsgiError('TSGI_ERR_DAEMON_UPGRADE_FAILED', 'started for an upgrade, but the old tsgid sent no hand-over')), HANDOVER_WAIT_MS);
    const onMessage = (m: UpgradeMessage): void => {
      if (m.t !== 'handover') return;
      clearTimeout(timer);
      process.off('message', onMessage);
      failureFile = m.failure_file;
      resolve(m);
    };
    process.on('message', onMessage);
  });
}

/** Why this tsgid, started for an upgrade, exits without taking over: for the old one to report. */
export function noteUpgradeFailure(text: string): void {
  if (failureFile === undefined) return;
  try {
    writeFileSync(failureFile, `${text}\n`, { mode: 0o600 });
  } catch {
    // the old tsgid still learns the exit code
  }
}

export class Successor {
  /** LISTEN_FDS position → the server serving it here */
  private readonly servers = new Map<number, net.Server>();
  private readonly undo: Array<() => void> = [];
  private serving = false;

  constructor(
    readonly handover: Handover,
    private readonly log: Logger,
  ) {
    // every passed socket sends what it accepts to the old tsgid, from before its first accept
    setAdoptHook((server, fd) => this.gate(server, fd - FIRST_FD));
    process.on('message', (m: UpgradeMessage, handle?: unknown) => {
      if (m.t === 'conn') deliver(this.servers.get(m.i), handle);
    });
    process.on('disconnect', () => {
      if (this.serving) return;
      this.log.warn(`upgrade: the old tsgid (pid ${handover.from}) went away before this one was ready; serving now`);
      this.serve();
    });
  }

  /** The passed fds, each marked with what the old tsgid said of it; the admin socket is apart. */
  passedFds(passed: PassedFds): PassedFds {
    const fds: PassedFd[] = [];
    for (const p of passed.all) {
      const d = this.handover.fds[p.fd - FIRST_FD];
      if (d?.role !== 'app' || d.app === undefined) continue;
      fds.push({ fd: p.fd, name: d.app, ...(d.owned ? { owned: { key: d.key } } : {}) });
    }
    return new PassedFds(fds);
  }

  get adminFd(): number | undefined {
    const i = this.handover.fds.findIndex((d) => d.role === 'admin');
    return i < 0 ? undefined : FIRST_FD + i;
  }

  gateAdmin(server: net.Server): void {
    const fd = this.adminFd;
    if (fd !== undefined) this.gate(server, fd - FIRST_FD);
  }

  private gate(server: net.Server, i: number): void {
    this.servers.set(i, server);
    if (this.serving) return;
    this.undo.push(divertAccepts(server, (client) => this.forward(i, client)));
  }

  private forward(i: number, client: unknown): boolean {
    if (this.serving || !process.connected) return false;
    process.send!({ t: 'conn', i }, client as never, undefined, (err) => {
      if (err === null) return void (client as { close(): void }).close();
      this.serve();
      deliver(this.servers.get(i), client);
    });
    return true;
  }

  private serve(): void {
    if (this.serving) return;
    this.serving = true;
    setAdoptHook(undefined);
    for (const u of this.undo.splice(0)) u();
  }

  /**
   * Wait until every app that ran in the old tsgid (and is still configured) is ready here, then
   * take over: pidfile, "ready" to the old one, serve, and systemd's MAINPID. Throws if an app
   * fails; the old tsgid bounds the wait (upgrade_timeout) and stops this one past it.
   */
  async takeOver(arbiter: Arbiter, config: Config, systemd: Notifier): Promise<void> {
    await allReady(arbiter, this.handover.ready_apps);
    writePidfile(config.pidfile, this.handover.from);
    inheritLineage(this.handover.upgrades);
    process.send!({ t: 'ready', pid: process.pid, version: lineage().version });
    this.serve();
    this.log.info(`upgrade: took over from tsgid ${this.handover.from} (upgrade ${lineage().upgrades}, tsgi ${lineage().version})`);
    void systemd.notify(`MAINPID=${process.pid}`, 'READY=1', `STATUS=took over from pid ${this.handover.from}`);
  }
}

function allReady(arbiter: Arbiter, apps: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void =>
      void setImmediate(() => {
        const mine = arbiter.status().apps.filter((a) => apps.includes(a.name));
        const failed = mine.find((a) => a.state === 'failed');
        if (failed !== undefined) {
          arbiter.events.off('worker', check);
          reject(new TsgiError('TSGI_ERR_DAEMON_UPGRADE_FAILED', `${failed.name} failed to start: ${failed.failed_reason ?? 'unknown reason'}`));
        } else if (mine.every((a) => a.state === 'running' && a.ready >= a.target)) {
          arbiter.events.off('worker', check);
          resolve();
        }
      });
    arbiter.events.on('worker', check);
    check();
  });
}
