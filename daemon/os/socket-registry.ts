/**
 * Every app's listening sockets, held by the arbiter for the life of the app whatever its workers
 * do: the ones tsgid bound (sockets.ts), the ones systemd passed (listen-fds.ts) and the ones a
 * tsgid this one upgrades handed over (daemon/upgrade/). The arbiter
 * says which apps exist and with which settings; this keeps each address open once, closes what
 * an app no longer lists, and answers the connections of a removed app's passed sockets.
 */
import type net from 'node:net';
import { formatListen, listensOverlap, type AppConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { answerUnavailable, RETRY_AFTER_IDLE_S } from '../pool/hold-503.js';
import type { Connection } from '../protocol.js';
import type { PassedFds } from './listen-fds.js';
import { adoptListener, boundAddress, closeListener, openListener } from './sockets.js';

/** Where an app's connections go (its pool), and where the addresses actually bound are shown. */
export interface SocketOwner {
  accept(conn: Connection): void;
  /** the addresses actually bound (a configured port 0 becomes the kernel's choice) */
  listening: string[];
}

/** One listening socket, for an upgrade to hand over or systemd's fd store to keep. */
export interface HeldSocket {
  app: string;
  /** the configured address it stands for (canonical form) */
  key: string;
  server: net.Server;
  /** bound by tsgid (or inherited from one), not passed by systemd from a .socket unit */
  owned: boolean;
}

export class SocketRegistry {
  /** per app: configured address (canonical form) → the socket held for it */
  private readonly listeners = new Map<string, Map<string, net.Server>>();
  /** per app: the keys in `listeners` of sockets systemd passed, which a config reload keeps */
  private readonly passedKeys = new Map<string, Set<string>>();
  /**
   * Where a systemd-passed socket's connections go, by app name. An app removed by a config
   * reload leaves its passed sockets open (systemd owns them, and clients queue on them): their
   * connections are answered 503 until an app of that name is added again and takes them over.
   */
  private readonly routes = new Map<string, SocketOwner>();
  /** removed apps that spoke TLS, whose passed sockets get a clean close instead of a 503 */
  private readonly orphanTls = new Set<string>();

  constructor(
    private readonly passed: PassedFds,
    private readonly log: Logger,
    /** how many apps the config names (a passed socket is an app's only if its name says so, or if there is one app) */
    private readonly appCount: () => number,
    /** how a listen entry is named in messages: its file, line and key (`tsgi.yaml:7:13: apps.web.listen`) */
    private readonly where: (app: AppConfig, i: number) => string,
  ) {}

  /** Open a new app's sockets; on failure, none of them stays open. */
  async open(owner: SocketOwner, app: AppConfig): Promise<void> {
    // a removed app's passed sockets, kept open, come back to an app of the same name
    this.listeners.set(app.name, this.listeners.get(app.name) ?? new Map());
    this.routes.set(app.name, owner);
    this.orphanTls.delete(app.name);
    try {
      await this.bind(owner, app);
    } catch (err) {
      this.forget(app.name);
      throw err;
    }
  }

  /** Close what an app just opened, when it is not added after all (a shutdown came meanwhile). */
  forget(name: string): void {
    this.unbind(name, new Set());
    this.listeners.delete(name);
    this.routes.delete(name);
  }

  /** New settings for an app: open the addresses it now lists, close the ones it no longer does. */
  async change(owner: SocketOwner, app: AppConfig): Promise<void> {
    await this.bind(owner, app);
    // systemd's sockets stay whatever the new listen list says: the .socket unit owns them
    this.unbind(app.name, new Set([...app.listen.map(formatListen), ...(this.passedKeys.get(app.name) ?? [])]));
  }

  /**
   * The app is gone: close its sockets but systemd's, which stay open (it holds them, and clients
   * queue on them) and are answered 503 from now on. Returns the addresses left open.
   */
  remove(name: string, tls: boolean): string[] {
    this.routes.delete(name);
    const passed = this.passedKeys.get(name) ?? new Set<string>();
    this.unbind(name, passed);
    if (passed.size > 0) {
      if (tls) this.orphanTls.add(name);
    } else {
      this.listeners.delete(name);
      this.passedKeys.delete(name);
    }
    return [...passed];
  }

  /** Shutdown (or a start that failed): every socket closes. */
  closeAll(): void {
    for (const name of this.listeners.keys()) this.unbind(name, new Set());
    this.listeners.clear();
  }

  /** Open the sockets `app` lists that are not open yet; the ones it no longer lists are the caller's to close. */
  private async bind(owner: SocketOwner, app: AppConfig): Promise<void> {
    const held = this.listeners.get(app.name)!;
    await this.adoptPassed(app, held);
    for (const [i, addr] of app.listen.entries()) {
      const key = formatListen(addr);
      if (held.has(key)) continue;
      const where = this.where(app, i);
      const server = await openListener(addr, (socket) => owner.accept(socket), where, app.backlog).catch((err: unknown) => {
        throw this.passed.explainInUse(err, app.name);
      });
      held.set(key, server);
    }
    const extra = [...(this.passedKeys.get(app.name) ?? [])].filter((key) => !app.listen.some((addr) => formatListen(addr) === key));
    owner.listening = [
      ...app.listen.map((addr) => formatListen(boundAddress(held.get(formatListen(addr))!, addr))),
      ...extra,
    ];
  }

  /**
   * Serve the sockets systemd passed for this app (by LISTEN_FDNAMES). One bound to an address the
   * app lists stands for it, so that address is not bound again; the app's other addresses are
   * bound as usual. A passed socket at an address the app does not list is served all the same:
   * systemd's .socket unit is where the operator said what to listen on.
   */
  private async adoptPassed(app: AppConfig, held: Map<string, net.Server>): Promise<void> {
    const keys = this.passedKeys.get(app.name) ?? new Set<string>();
    this.passedKeys.set(app.name, keys);
    for (const { fd, name, owned } of this.passed.take(app.name, this.appCount())) {
      const { server, addr } = await adoptListener(fd, (conn) => this.acceptPassed(app.name, conn), `apps.${app.name}: LISTEN_FDS fd ${fd} ("${name}")`, app.backlog);
      // a socket tsgid bound itself (handed over by an upgrade, or from systemd's fd store) is
      // the configured address it was bound for, even port 0, and is closed like any bound one
      const configured = owned?.key !== undefined ? app.listen.find((a) => formatListen(a) === owned.key) : app.listen.find((a) => listensOverlap(a, addr) && !held.has(formatListen(a)));
      if (owned !== undefined && configured === undefined) {
        closeListener(server);
        this.log.info(`${app.name}: closed the inherited ${formatListen(addr)} (fd ${fd}): its listen list no longer names it`);
        continue;
      }
      const key = formatListen(configured ?? addr);
      held.set(key, server);
      if (owned === undefined) keys.add(key);
      this.log.info(`${app.name}: serving ${formatListen(addr)} ${owned === undefined ? 'from systemd' : 'inherited'} (fd ${fd})${configured === undefined ? ', an address its listen list does not name' : ''}`);
    }
  }

  /** Every socket held, each `owned` unless systemd passed it from a .socket unit. */
  held(): HeldSocket[] {
    return [...this.listeners].flatMap(([app, held]) => [...held].map(([key, server]) => ({ app, key, server, owned: !(this.passedKeys.get(app)?.has(key) ?? false) })));
  }

  private acceptPassed(app: string, conn: Connection): void {
    const owner = this.routes.get(app);
    if (owner !== undefined) owner.accept(conn);
    else answerUnavailable(conn, { retryAfter: RETRY_AFTER_IDLE_S, message: `no app "${app}" is configured on this socket any more`, tls: this.orphanTls.has(app) });
  }

  /** Close an app's sockets except those whose canonical address is in `keep`. */
  private unbind(name: string, keep: ReadonlySet<string>): void {
    const held = this.listeners.get(name);
    if (held === undefined) return;
    for (const [key, server] of held) {
      if (keep.has(key)) continue;
      closeListener(server);
      held.delete(key);
    }
  }
}
