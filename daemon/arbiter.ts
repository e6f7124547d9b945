/**
 * The arbiter: one reconcile loop. Signals and API calls only queue commands; each tick applies
 * the queued commands, then lets every app pool converge on its target (reap, kill what is stale,
 * spawn what is missing, roll what is being reloaded). gunicorn's arbiter.py, in one event loop.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { currentRunner, formatListen, listensOverlap, loadConfig, sameAppConfig, type AppConfig, type Config } from './config/index.js';
import { TsgiError } from './errors.js';
import type { Logger } from './log.js';
import { AppPool, type AppMetricsView, type AppStatus } from './app-pool.js';
import { realOps, type ProcessOps } from './process-ops.js';
import { adoptListener, boundAddress, closeListener, openListener } from './sockets.js';
import type { Connection } from './protocol.js';
import { BootPacer } from './boot-pacer.js';
import { answerUnavailable, RETRY_AFTER_IDLE_S } from './hold-503.js';
import { PassedFds } from './listen-fds.js';
import { readiness, type Readiness } from './readiness.js';
import { formatMs } from './restart-policy.js';
import type { WorkerEvent } from './worker.js';
import { Watcher } from './watch.js';
import { Sampler } from './sampler.js';
import { AppLogs } from './logs/app-logs.js';
import { withheldFor } from './worker-env.js';
import { History, type AppHistory } from './history.js';
import { lineage, upgradeCounts } from './lineage.js';

export type Command =
  | { kind: 'start' | 'stop' | 'restart' | 'reload'; app: string }
  | { kind: 'scale'; app: string; workers: number }
  /** replace one worker gracefully: a new one boots, then this one drains */
  | { kind: 'stop-worker'; app: string; worker: number }
  | { kind: 'add'; config: AppConfig }
  | { kind: 'remove'; app: string }
  | { kind: 'config-reload' }
  /** `now` skips what is left of shutdown_delay (a second SIGTERM) */
  | { kind: 'shutdown'; now?: boolean }
  /** SIGUSR1: reopen the log files (after an external logrotate) */
  | { kind: 'reopen-logs' };

interface Queued {
  cmd: Command;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** What a live config reload did, app by app. */
export interface ConfigReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  /** per app: what went wrong; the rest of the reload still happened */
  errors: Array<{ app: string; code: string; message: string }>;
}

export interface DaemonStatus {
  pid: number;
  /** tsgi's version, and how many upgrades led to this process (daemon/lineage.ts) */
  version: string;
  upgrades: number;
  started_at: number;
  uptime_ms: number;
  config_file: string;
  apps: AppStatus[];
}

/** The loop runs on every event, at the next deadline a pool reports, and at least this often. */
const IDLE_TICK_MS = 1000;

export class Arbiter {
  readonly events = new EventEmitter();
  private readonly pools = new Map<string, AppPool>();
  /** per app: configured address (canonical form) → the socket held for it */
  private readonly listeners = new Map<string, Map<string, net.Server>>();
  /** per app: the keys in `listeners` of sockets systemd passed, which a config reload keeps */
  private readonly passedKeys = new Map<string, Set<string>>();
  /**
   * Where a systemd-passed socket's connections go, by app name. An app removed by a config
   * reload leaves its passed sockets open (systemd owns them, and clients queue on them): their
   * connections are answered 503 until an app of that name is added again and takes them over.
   */
  private readonly routes = new Map<string, AppPool>();
  /** removed apps that spoke TLS, whose passed sockets get a clean close instead of a 503 */
  private readonly orphanTls = new Set<string>();
  /** one bound on workers booting at once, across all apps (max_concurrent_boots) */
  private readonly pacer: BootPacer;
  /** the app the next tick reconciles first (boot slots go round the apps) */
  private firstPool = 0;
  private queue: Queued[] = [];
  private tickScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  /** set once every worker is gone: the loop stops re-arming its timer */
  private shutDown = false;
  /** when the drain begins: shutdown_delay after the first shutdown request, or at once if hurried */
  private drainAt: number | undefined;
  private drainStarted = false;
  private stopped: Promise<void> | undefined;
  private onStopped: () => void = () => {};
  private readonly startedAt: number;
  readonly ops: ProcessOps;
  private readonly watcher: Watcher;
  readonly sampler: Sampler;
  /** the apps' stdout, stderr and access logs; the pools write to it */
  readonly logs: AppLogs;
  /** the last minutes of every app, for the dashboard's charts */
  private readonly recorded: History;

  constructor(
    private config: Config,
    private readonly log: Logger,
    ops: ProcessOps = realOps,
    private readonly passed: PassedFds = new PassedFds([]),
  ) {
    this.ops = ops;
    this.startedAt = ops.now();
    this.logs = new AppLogs(config.logs, log);
    this.recorded = new History(config.stats_interval);
    this.pacer = BootPacer.fromSetting(config.max_concurrent_boots);
    this.watcher = new Watcher((app, path) => {
      this.log.info(`${app}: ${path} changed; reloading`);
      this.command({ kind: 'reload', app }).catch((err: unknown) => this.log.warn(`${app}: reload after file change failed: ${err instanceof Error ? err.message : String(err)}`));
    }, log);
    this.sampler = new Sampler(ops, {
      pids: () => [...this.pools.values()].flatMap((p) => p.pids().map((x) => x.pid)),
      deliver: (stats) => {
        const now = this.ops.now();
        for (const pool of this.pools.values()) {
          pool.sampled(stats);
          this.recorded.record(now, pool.metrics(), pool.status(now));
        }
        this.schedule();
      },
    });
  }

  /**
   * Open every app's sockets, then start the loop. Fails (and holds nothing) if a socket systemd
   * passed is no app's, checked before anything is bound, or if any address cannot be bound.
   */
  async start(): Promise<void> {
    try {
      this.passed.check(Object.keys(this.config.apps));
      for (const app of Object.values(this.config.apps)) await this.addPool(app);
    } catch (err) {
      this.closeAllListeners();
      await this.watcher.close();
      throw err;
    }
    this.sampler.start(this.config.stats_interval);
    this.schedule();
  }

  /** Queue a command; resolves when the action has finished (workers ready, drained, ...). */
  command(cmd: Command): Promise<void> {
    return this.enqueue(cmd).then(() => undefined);
  }

  /** Re-read the config file (SIGHUP, POST /v1/config/reload): start added apps, stop removed ones, roll changed ones. */
  reloadConfig(): Promise<ConfigReloadResult> {
    return this.enqueue({ kind: 'config-reload' }) as Promise<ConfigReloadResult>;
  }

  private enqueue(cmd: Command): Promise<unknown> {
    // a second shutdown request is allowed: it may hurry the first one past shutdown_delay
    if (this.shuttingDown && cmd.kind !== 'shutdown') return Promise.reject(new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down'));
    if (cmd.kind === 'shutdown') this.shuttingDown = true;
    return new Promise((resolve, reject) => {
      this.queue.push({ cmd, resolve, reject });
      this.schedule();
    });
  }

  get stopping(): boolean {
    return this.shuttingDown;
  }

  /** 'delay': asked to stop, still serving through shutdown_delay; 'draining': workers are finishing. */
  get shutdownPhase(): 'running' | 'delay' | 'draining' {
    if (!this.shuttingDown) return 'running';
    return this.drainStarted ? 'draining' : 'delay';
  }

  /** For GET /v1/ready: every app has its target workers ready, and no shutdown has been asked for. */
  readiness(): Readiness {
    return readiness(this.status().apps, this.shuttingDown);
  }

  status(): DaemonStatus {
    const now = this.ops.now();
    return {
      pid: process.pid,
      ...lineage(),
      started_at: this.startedAt,
      uptime_ms: now - this.startedAt,
      config_file: this.config.file,
      apps: [...this.pools.values()].map((p) => p.status(now)),
    };
  }

  appStatus(name: string): AppStatus {
    return this.pool(name).status(this.ops.now());
  }

  /** For GET /metrics: every app's totals and live workers, and how long tsgid has run. */
  metrics(): { uptime_ms: number; upgrades: { ok: number; failed: number }; apps: AppMetricsView[] } {
    return { uptime_ms: this.ops.now() - this.startedAt, upgrades: upgradeCounts(), apps: [...this.pools.values()].map((p) => p.metrics()) };
  }

  /** For GET /v1/apps/:name/history: the app's charts over the last minutes. */
  history(name: string, since?: number): AppHistory {
    this.pool(name);
    return this.recorded.read(name, since);
  }

  appConfig(name: string): AppConfig {
    return this.pool(name).config;
  }

  get appNames(): string[] {
    return [...this.pools.keys()];
  }

  private schedule(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.tickScheduled = false;
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) {
      try {
        this.apply(q.cmd).then(q.resolve, q.reject);
      } catch (err) {
        q.reject(err);
      }
    }
    const now = this.ops.now();
    let next = now + IDLE_TICK_MS;
    if (this.drainAt !== undefined && !this.drainStarted) {
      if (now >= this.drainAt) this.startDrain();
      else next = Math.min(next, this.drainAt);
    }
    // each tick starts with the next app, so no app's boots take every free boot slot tick after tick
    const pools = [...this.pools.values()];
    const first = pools.length === 0 ? 0 : this.firstPool++ % pools.length;
    for (const pool of [...pools.slice(first), ...pools.slice(0, first)]) {
      pool.reconcile(now);
      next = Math.min(next, pool.nextDeadline());
    }
    if (!this.shutDown) this.wakeAt(Math.max(next, now + 1));
  }

  /** One timer for the whole daemon, set to whatever falls due first. */
  private wakeAt(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.schedule(), at - this.ops.now());
  }

  private apply(cmd: Command): Promise<unknown> {
    switch (cmd.kind) {
      case 'start': return this.pool(cmd.app).start();
      case 'stop': return this.pool(cmd.app).stop();
      case 'restart': return this.pool(cmd.app).restart();
      case 'reload': return this.pool(cmd.app).reload();
      case 'scale': return this.pool(cmd.app).scale(cmd.workers);
      case 'stop-worker': return this.pool(cmd.app).stopWorker(cmd.worker);
      case 'add': return this.add(cmd.config);
      case 'remove': return this.remove(cmd.app);
      case 'config-reload': return this.applyConfigFile();
      case 'shutdown': return this.shutdown(cmd.now === true);
      case 'reopen-logs': return Promise.resolve(this.reopenLogs());
    }
  }

  private reopenLogs(): void {
    const n = this.logs.reopen();
    this.log.info(`reopened ${n} log file(s)`);
  }

  private pool(name: string): AppPool {
    const pool = this.pools.get(name);
    if (pool === undefined) throw new TsgiError('TSGI_ERR_APP_NOT_FOUND', `no app named "${name}"`);
    return pool;
  }

  private async add(app: AppConfig): Promise<void> {
    if (this.pools.has(app.name)) throw new TsgiError('TSGI_ERR_APP_EXISTS', `an app named "${app.name}" already exists`);
    const pool = await this.addPool(app);
    this.schedule();
    await pool.start();
  }

  private async addPool(app: AppConfig): Promise<AppPool> {
    const pool = new AppPool(app, {
      ops: this.ops,
      log: this.logs,
      emit: (e: WorkerEvent) => this.events.emit('worker', e),
      changed: () => this.schedule(),
      withheld: (name) => withheldFor(this.config, name),
      pacer: this.pacer,
    });
    // a removed app's passed sockets, kept open, come back to an app of the same name
    this.listeners.set(app.name, this.listeners.get(app.name) ?? new Map());
    this.routes.set(app.name, pool);
    this.orphanTls.delete(app.name);
    try {
      await this.bind(pool, app);
    } catch (err) {
      this.unbind(app.name, new Set());
      this.listeners.delete(app.name);
      this.routes.delete(app.name);
      throw err;
    }
    if (this.shuttingDown) {
      // a shutdown was queued while the sockets were opening: it did not see this pool
      this.unbind(app.name, new Set());
      this.listeners.delete(app.name);
      this.routes.delete(app.name);
      throw new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down');
    }
    this.pools.set(app.name, pool);
    this.logs.setApp(app);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.log.info(`${app.name}: listening on ${pool.listening.join(', ')} with ${app.workers} worker(s)`);
    return pool;
  }

  /** Open the sockets `app` lists that are not open yet; the ones it no longer lists are the caller's to close. */
  private async bind(pool: AppPool, app: AppConfig): Promise<void> {
    const held = this.listeners.get(app.name)!;
    await this.adoptPassed(pool, app, held);
    for (const [i, addr] of app.listen.entries()) {
      const key = formatListen(addr);
      if (held.has(key)) continue;
      const where = `apps.${app.name}.listen${app.listen.length > 1 ? `[${i}]` : ''}`;
      const server = await openListener(addr, (socket) => pool.accept(socket), where, app.backlog).catch((err: unknown) => {
        throw this.passed.explainInUse(err, app.name);
      });
      held.set(key, server);
    }
    const extra = [...(this.passedKeys.get(app.name) ?? [])].filter((key) => !app.listen.some((addr) => formatListen(addr) === key));
    pool.listening = [
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
  private async adoptPassed(pool: AppPool, app: AppConfig, held: Map<string, net.Server>): Promise<void> {
    const keys = this.passedKeys.get(app.name) ?? new Set<string>();
    this.passedKeys.set(app.name, keys);
    for (const { fd, name, owned } of this.passed.take(app.name, Object.keys(this.config.apps).length)) {
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

  /**
   * Every listening socket held, for a new tsgid to take over (daemon/upgrade.ts) or systemd's fd
   * store: `owned` unless systemd passed it from a .socket unit.
   */
  heldSockets(): Array<{ app: string; key: string; server: net.Server; owned: boolean }> {
    return [...this.listeners].flatMap(([app, held]) => [...held].map(([key, server]) => ({ app, key, server, owned: !(this.passedKeys.get(app)?.has(key) ?? false) })));
  }

  private acceptPassed(app: string, conn: Connection): void {
    const pool = this.routes.get(app);
    if (pool !== undefined) pool.accept(conn);
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

  private async remove(name: string): Promise<void> {
    const pool = this.pool(name);
    this.watcher.remove(name);
    await pool.stop();
    this.pools.delete(name);
    this.routes.delete(name);
    // systemd's sockets stay open (it holds them and clients queue on them): answered 503 from now on
    const passed = this.passedKeys.get(name) ?? new Set<string>();
    this.unbind(name, passed);
    if (passed.size > 0) {
      if (pool.config.certfile !== undefined) this.orphanTls.add(name);
      this.log.warn(`${name}: removed; the socket(s) systemd passed for it (${[...passed].join(', ')}) stay open and answer 503 until an app of that name is added again`);
    } else {
      this.listeners.delete(name);
      this.passedKeys.delete(name);
    }
    this.logs.removeApp(name);
    this.recorded.remove(name);
  }

  /**
   * The SIGHUP path. A config that fails validation changes nothing (the error is thrown to the
   * caller). Otherwise: added apps start, removed apps drain and stop, changed apps get their new
   * sockets and a rolling reload onto the new settings, unchanged apps are not touched.
   */
  private async applyConfigFile(): Promise<ConfigReloadResult> {
    const next = loadConfig(this.config.file, process.env, currentRunner());
    const result: ConfigReloadResult = { added: [], removed: [], changed: [], unchanged: [], errors: [] };
    const record = (app: string, err: unknown): void => {
      const e = err instanceof TsgiError ? err : new TsgiError('TSGI_ERR_APP_BOOT', String(err));
      result.errors.push({ app, code: e.code, message: e.message });
    };
    const steps: Array<Promise<void>> = [];
    for (const name of this.pools.keys()) {
      if (next.apps[name] !== undefined) continue;
      result.removed.push(name);
      steps.push(this.remove(name).catch((err: unknown) => record(name, err)));
    }
    for (const app of Object.values(next.apps)) {
      const pool = this.pools.get(app.name);
      if (pool === undefined) {
        result.added.push(app.name);
        steps.push(this.add(app).catch((err: unknown) => record(app.name, err)));
      } else if (sameAppConfig(pool.config, app)) {
        result.unchanged.push(app.name);
      } else {
        result.changed.push(app.name);
        steps.push(this.change(pool, app).catch((err: unknown) => record(app.name, err)));
      }
    }
    if (JSON.stringify(next.admin) !== JSON.stringify(this.config.admin) || next.max_workers !== this.config.max_workers || JSON.stringify(next.logs) !== JSON.stringify(this.config.logs)) {
      this.log.warn('config reload: admin.*, max_workers and logs.* take effect when tsgid restarts');
    }
    this.config = { ...next, admin: this.config.admin, max_workers: this.config.max_workers, logs: this.config.logs };
    this.sampler.start(next.stats_interval);
    this.recorded.setInterval(next.stats_interval);
    this.pacer.setLimit(next.max_concurrent_boots);
    this.schedule();
    await Promise.all(steps);
    this.log.info(`config reloaded: added [${result.added}] removed [${result.removed}] changed [${result.changed}] unchanged [${result.unchanged}]${result.errors.length > 0 ? `; errors: ${result.errors.map((e) => `${e.app}: ${e.message}`).join('; ')}` : ''}`);
    return result;
  }

  private async change(pool: AppPool, app: AppConfig): Promise<void> {
    await this.bind(pool, app);
    // systemd's sockets stay whatever the new listen list says: the .socket unit owns them
    this.unbind(app.name, new Set([...app.listen.map(formatListen), ...(this.passedKeys.get(app.name) ?? [])]));
    pool.setConfig(app);
    this.logs.setApp(app);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.schedule();
    await pool.reload();
  }

  /**
   * Readiness is already gone (enqueue set shuttingDown). The apps keep serving for
   * shutdown_delay, so a load balancer that polls /v1/ready stops sending before anything closes;
   * then the drain. Resolves when every worker is gone.
   */
  private shutdown(now: boolean): Promise<void> {
    const at = this.ops.now() + (now ? 0 : this.config.shutdown_delay);
    if (this.drainAt === undefined || at < this.drainAt) this.drainAt = at;
    if (!this.drainStarted && this.drainAt > this.ops.now()) this.log.info(`shutting down: not ready any more; draining in ${formatMs(this.drainAt - this.ops.now())} (shutdown_delay)`);
    this.stopped ??= new Promise((resolve) => (this.onStopped = resolve));
    return this.stopped;
  }

  private startDrain(): void {
    this.drainStarted = true;
    void this.drain()
      .catch((err: unknown) => this.log.error(`shutting down: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.onStopped());
  }

  /** Stop accepting, let every worker finish its in-flight requests, then stop the loop. */
  private async drain(): Promise<void> {
    this.log.info('shutting down: draining workers');
    this.closeAllListeners();
    await this.watcher.close();
    this.sampler.stop();
    await Promise.all([...this.pools.values()].map((p) => p.stop('shutdown')));
    this.shutDown = true;
    clearTimeout(this.timer);
    this.log.info('all workers stopped');
    await this.logs.close();
  }

  private closeAllListeners(): void {
    for (const name of this.listeners.keys()) this.unbind(name, new Set());
    this.listeners.clear();
  }
}
