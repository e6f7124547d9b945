/**
 * The arbiter: one reconcile loop. Signals and API calls only queue commands; each tick applies
 * the queued commands, then lets every app pool converge on its target (reap, kill what is stale,
 * spawn what is missing, roll what is being reloaded). gunicorn's arbiter.py, in one event loop.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { formatListen, loadConfig, sameAppConfig, type AppConfig, type Config } from './config/index.js';
import { TsgiError } from './errors.js';
import type { Logger } from './log.js';
import { AppPool, type AppStatus } from './app-pool.js';
import { realOps, type ProcessOps } from './process-ops.js';
import { boundAddress, closeListener, openListener } from './sockets.js';
import type { WorkerEvent } from './worker.js';
import { Watcher } from './watch.js';
import { Sampler } from './sampler.js';

export type Command =
  | { kind: 'start' | 'stop' | 'restart' | 'reload'; app: string }
  | { kind: 'scale'; app: string; workers: number }
  | { kind: 'add'; config: AppConfig }
  | { kind: 'remove'; app: string }
  | { kind: 'config-reload' }
  | { kind: 'shutdown' };

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
  private queue: Queued[] = [];
  private tickScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  /** set once every worker is gone: the loop stops re-arming its timer */
  private shutDown = false;
  private readonly startedAt: number;
  readonly ops: ProcessOps;
  private readonly watcher: Watcher;
  readonly sampler: Sampler;

  constructor(
    private config: Config,
    private readonly log: Logger,
    ops: ProcessOps = realOps,
  ) {
    this.ops = ops;
    this.startedAt = ops.now();
    this.watcher = new Watcher((app, path) => {
      this.log.info(`${app}: ${path} changed; reloading`);
      this.command({ kind: 'reload', app }).catch((err: unknown) => this.log.warn(`${app}: reload after file change failed: ${err instanceof Error ? err.message : String(err)}`));
    }, log);
    this.sampler = new Sampler(ops, {
      pids: () => [...this.pools.values()].flatMap((p) => p.pids().map((x) => x.pid)),
      deliver: (stats) => {
        for (const pool of this.pools.values()) pool.sampled(stats);
        this.schedule();
      },
    });
  }

  /** Open every app's sockets, then start the loop. Fails (and holds nothing) if any address cannot be bound. */
  async start(): Promise<void> {
    try {
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
    if (this.shuttingDown) return Promise.reject(new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down'));
    if (cmd.kind === 'shutdown') this.shuttingDown = true;
    return new Promise((resolve, reject) => {
      this.queue.push({ cmd, resolve, reject });
      this.schedule();
    });
  }

  get stopping(): boolean {
    return this.shuttingDown;
  }

  status(): DaemonStatus {
    const now = this.ops.now();
    return {
      pid: process.pid,
      started_at: this.startedAt,
      uptime_ms: now - this.startedAt,
      config_file: this.config.file,
      apps: [...this.pools.values()].map((p) => p.status(now)),
    };
  }

  appStatus(name: string): AppStatus {
    return this.pool(name).status(this.ops.now());
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
    for (const pool of this.pools.values()) {
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
      case 'add': return this.add(cmd.config);
      case 'remove': return this.remove(cmd.app);
      case 'config-reload': return this.applyConfigFile();
      case 'shutdown': return this.shutdown();
    }
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
      log: this.log,
      emit: (e: WorkerEvent) => this.events.emit('worker', e),
      changed: () => this.schedule(),
    });
    this.listeners.set(app.name, new Map());
    try {
      await this.bind(pool, app);
    } catch (err) {
      this.unbind(app.name, new Set());
      this.listeners.delete(app.name);
      throw err;
    }
    if (this.shuttingDown) {
      // a shutdown was queued while the sockets were opening: it did not see this pool
      this.unbind(app.name, new Set());
      this.listeners.delete(app.name);
      throw new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down');
    }
    this.pools.set(app.name, pool);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.log.info(`${app.name}: listening on ${pool.listening.join(', ')} with ${app.workers} worker(s)`);
    return pool;
  }

  /** Open the sockets `app` lists that are not open yet; the ones it no longer lists are the caller's to close. */
  private async bind(pool: AppPool, app: AppConfig): Promise<void> {
    const held = this.listeners.get(app.name)!;
    for (const [i, addr] of app.listen.entries()) {
      const key = formatListen(addr);
      if (held.has(key)) continue;
      const where = `apps.${app.name}.listen${app.listen.length > 1 ? `[${i}]` : ''}`;
      held.set(key, await openListener(addr, (socket) => pool.accept(socket), where, app.backlog));
    }
    pool.listening = app.listen.map((addr) => {
      const server = held.get(formatListen(addr))!;
      return formatListen(boundAddress(server, addr));
    });
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
    this.unbind(name, new Set());
    this.listeners.delete(name);
  }

  /**
   * The SIGHUP path. A config that fails validation changes nothing (the error is thrown to the
   * caller). Otherwise: added apps start, removed apps drain and stop, changed apps get their new
   * sockets and a rolling reload onto the new settings, unchanged apps are not touched.
   */
  private async applyConfigFile(): Promise<ConfigReloadResult> {
    const next = loadConfig(this.config.file);
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
    if (JSON.stringify(next.admin) !== JSON.stringify(this.config.admin) || next.max_workers !== this.config.max_workers) {
      this.log.warn('config reload: admin.* and max_workers take effect when tsgid restarts');
    }
    this.config = { ...next, admin: this.config.admin, max_workers: this.config.max_workers };
    this.sampler.start(next.stats_interval);
    this.schedule();
    await Promise.all(steps);
    this.log.info(`config reloaded: added [${result.added}] removed [${result.removed}] changed [${result.changed}] unchanged [${result.unchanged}]${result.errors.length > 0 ? `; errors: ${result.errors.map((e) => `${e.app}: ${e.message}`).join('; ')}` : ''}`);
    return result;
  }

  private async change(pool: AppPool, app: AppConfig): Promise<void> {
    await this.bind(pool, app);
    this.unbind(app.name, new Set(app.listen.map(formatListen)));
    pool.setConfig(app);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.schedule();
    await pool.reload();
  }

  /** Stop accepting, let every worker finish its in-flight requests, then stop the loop. */
  private async shutdown(): Promise<void> {
    this.log.info('shutting down: draining workers');
    this.closeAllListeners();
    await this.watcher.close();
    this.sampler.stop();
    await Promise.all([...this.pools.values()].map((p) => p.stop('shutdown')));
    this.shutDown = true;
    clearTimeout(this.timer);
    this.log.info('all workers stopped');
  }

  private closeAllListeners(): void {
    for (const name of this.listeners.keys()) this.unbind(name, new Set());
    this.listeners.clear();
  }
}
