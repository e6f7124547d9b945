/**
 * The arbiter: one reconcile loop. Signals and API calls only queue commands; each tick applies
 * the queued commands, then lets every app pool converge on its target (reap, kill what is stale,
 * spawn what is missing, roll what is being reloaded). gunicorn's arbiter.py, in one event loop.
 */
import { EventEmitter } from 'node:events';
import { currentRunner, listenWhere, loadConfig, sameAppConfig, type AppConfig, type Config } from '../config/index.js';
import { TsgiError } from '../errors.js';
import type { Logger } from '../log.js';
import { AppPool, type AppMetricsView, type AppStatus } from '../pool/app-pool.js';
import { realOps, type ProcessOps } from '../os/process-ops.js';
import { BootPacer } from './boot-pacer.js';
import { PassedFds } from '../os/listen-fds.js';
import { SocketRegistry, type HeldSocket } from '../os/socket-registry.js';
import { readiness, type Readiness } from './readiness.js';
import { formatMs } from '../pool/restart-policy.js';
import type { WorkerEvent } from '../pool/worker-record.js';
import { Watcher } from './watch.js';
import { FRESH_MS, Sampler } from './sampler.js';
import { AppLogs } from '../logs/app-logs.js';
import { withheldFor } from '../pool/worker-env.js';
import { History, type AppHistory } from './history.js';
import { planReload, type ReloadPlan } from '../config/diff.js';
import { persistCommand } from '../config/persist-command.js';
import { lineage, upgradeCounts } from '../upgrade/lineage.js';
import { BootPriority } from '../pool/boot-priority.js';

export type Command =
  | { kind: 'start' | 'stop' | 'restart' | 'reload'; app: string }
  | { kind: 'scale'; app: string; workers: number }
  /** replace one worker gracefully: a new one boots, then this one drains */
  | { kind: 'stop-worker'; app: string; worker: number }
  /** start a run of a scheduled job (`cron`) now */
  | { kind: 'run'; app: string }
  /** `input`: the entry as the API got it, which is what the config file gets (write-back.ts) */
  | { kind: 'add'; config: AppConfig; input?: Record<string, unknown> }
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
  /** rolled onto new settings, or given them while stopped */
  changed: string[];
  /** `autostart` turned true or false in the file */
  started: string[];
  stopped: string[];
  unchanged: string[];
  /** per app: what went wrong; the rest of the reload still happened */
  errors: Array<{ app: string; code: string; message: string }>;
}

export interface DaemonStatus {
  pid: number;
  /** tsgi's version, and how many upgrades led to this process (daemon/upgrade/lineage.ts) */
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
  /** every app's listening sockets, bound or passed by systemd */
  private readonly sockets: SocketRegistry;
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
  /** systemd's watchdog: pinged from the tick, so a loop that stops ticking stops the pings */
  private watchdog: { everyMs: number; ping: () => void; due: number } | undefined;
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
    /** write API changes back into the config file (tsgid does; tests of the loop alone need not) */
    private readonly writeBack = false,
  ) {
    this.ops = ops;
    this.startedAt = ops.now();
    this.sockets = new SocketRegistry(passed, log, () => Object.keys(this.config.apps).length, (app, i) => listenWhere(this.config, app, i));
    this.logs = new AppLogs(config.logs, log);
    this.recorded = new History(config.stats_interval);
    this.pacer = BootPacer.fromSetting(config.max_concurrent_boots);
    // booting workers yield the CPU to serving ones (boot-priority.ts); only real processes are reniced
    if (ops === realOps) {
      const priority = new BootPriority();
      this.events.on('worker', (e: WorkerEvent) => priority.seen(e, () => (this.pools.get(e.app)?.status(this.ops.now()).ready ?? 0) > 0));
    }
    this.watcher = new Watcher((app, path) => {
      this.log.info(`${app}: ${path} changed; reloading`);
      this.command({ kind: 'reload', app }).catch((err: unknown) => this.log.warn(`${app}: reload after file change failed: ${err instanceof Error ? err.message : String(err)}`));
    }, log);
    this.sampler = new Sampler(ops, {
      pids: (limited) => {
        const out = [process.pid];
        // in a limited round, the apps that enforce max_memory, and elsewhere the workers ready in the
        // last FRESH_MS, which have no figures of their own yet (a booting worker's are not taken)
        const booted = this.ops.now() - FRESH_MS;
        for (const pool of this.pools.values()) pool.pidsInto(out, limited && pool.config.max_memory === 0 ? booted : undefined);
        return out;
      },
      // a worker over max_memory asks for a tick itself (its retirement); nothing else here does
      deliver: (stats) => {
        const now = this.ops.now();
        for (const pool of this.pools.values()) {
          pool.sampled(stats);
          this.recorded.record(now, pool.historyPoint());
        }
      },
    }, config.stats_interval);
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
      this.sockets.closeAll();
      await this.watcher.close();
      throw err;
    }
    this.schedule();
  }

  /** Queue a command; resolves when the action has finished (workers ready, drained, ...). */
  command(cmd: Command): Promise<void> {
    return this.enqueue(cmd).then(() => undefined);
  }

  /** Start a run of a scheduled job now: 'started', or 'queued' behind the one going (overlap: queue). */
  runJob(app: string): Promise<'started' | 'queued'> {
    return this.enqueue({ kind: 'run', app }) as Promise<'started' | 'queued'>;
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
    // not a reader of the figures (a load balancer polls it): the sampler's pace stays as it is
    const now = this.ops.now();
    return readiness([...this.pools.values()].map((p) => p.status(now)), this.shuttingDown);
  }

  status(): DaemonStatus {
    const now = this.ops.now();
    this.watched(now);
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
    const now = this.ops.now();
    this.watched(now);
    return this.pool(name).status(now);
  }

  /** A reader of the workers' figures: the sampler reads them every stats_interval while they are read (sampler.ts). */
  private watched(now: number): void {
    if (this.sampler.watched(now)) this.schedule();
  }

  /** For GET /metrics: every app's totals and live workers, and how long tsgid has run. */
  metrics(): { uptime_ms: number; upgrades: { ok: number; failed: number }; apps: AppMetricsView[] } {
    this.watched(this.ops.now());
    return { uptime_ms: this.ops.now() - this.startedAt, upgrades: upgradeCounts(), apps: [...this.pools.values()].map((p) => p.metrics()) };
  }

  /** For GET /v1/apps/:name/history: the app's charts over the last minutes. */
  history(name: string, since?: number): AppHistory {
    this.pool(name);
    this.watched(this.ops.now());
    return this.recorded.read(name, since);
  }

  appConfig(name: string): AppConfig {
    return this.pool(name).config;
  }

  /**
   * Call `ping` from the loop every `everyMs` (half of systemd's WatchdogSec=, as sd_watchdog_enabled(3)
   * advises): a loop that is stuck, or whose tick throws, stops pinging, and systemd restarts tsgid.
   */
  setWatchdog(everyMs: number, ping: () => void): void {
    this.watchdog = { everyMs, ping, due: this.ops.now() };
    this.schedule();
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
    next = Math.min(next, this.sampler.tick(now));
    if (this.watchdog !== undefined) {
      if (now >= this.watchdog.due) {
        this.watchdog.due = now + this.watchdog.everyMs;
        this.watchdog.ping();
      }
      next = Math.min(next, this.watchdog.due);
    }
    if (!this.shutDown) this.wakeAt(Math.max(next, now + 1));
  }

  /** One timer for the whole daemon, set to whatever falls due first. */
  private wakeAt(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.schedule(), at - this.ops.now());
  }

  /** What a config reload would do now (GET /v1/config/diff): the plan applyConfigFile follows. */
  planConfigReload(): ReloadPlan {
    const next = loadConfig(this.config.file, process.env, currentRunner());
    return planReload([...this.pools.values()].map((p) => p.config), next, this.config);
  }

  /**
   * An API change is written into the config file before it is applied (write-back.ts); a write
   * that fails throws here and the command is refused with nothing done.
   */
  private apply(cmd: Command): Promise<unknown> {
    if (!this.writeBack) return this.applyNow(cmd);
    const target = cmd.kind === 'add' ? cmd.config.name : 'app' in cmd ? cmd.app : undefined;
    const pool = target === undefined ? undefined : this.pools.get(target);
    const persisted = persistCommand(this.config.file, cmd, pool?.config);
    if (pool !== undefined && persisted.config !== undefined) pool.config = persisted.config;
    return this.applyNow(cmd).catch((err: unknown) => {
      // an add that opened no socket left no app: the file must not keep it either
      if (persisted.undo !== undefined && target !== undefined && !this.pools.has(target)) {
        try {
          persisted.undo();
        } catch (undoErr) {
          this.log.error(`${target}: could not take the failed add back out of ${this.config.file}: ${undoErr instanceof Error ? undoErr.message : String(undoErr)}`);
        }
      }
      throw err;
    });
  }

  private applyNow(cmd: Command): Promise<unknown> {
    switch (cmd.kind) {
      case 'start': return this.pool(cmd.app).start();
      case 'stop': return this.pool(cmd.app).stop();
      case 'restart': return this.pool(cmd.app).restart();
      case 'reload': return this.pool(cmd.app).reload();
      case 'scale': return this.pool(cmd.app).scale(cmd.workers);
      case 'stop-worker': return this.pool(cmd.app).stopWorker(cmd.worker);
      case 'run': return this.pool(cmd.app).runJob();
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
    if (app.autostart) await pool.start();
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
    await this.sockets.open(pool, app);
    if (this.shuttingDown) {
      // a shutdown was queued while the sockets were opening: it did not see this pool
      this.sockets.forget(app.name);
      throw new TsgiError('TSGI_ERR_DAEMON_SHUTTING_DOWN', 'tsgid is shutting down');
    }
    this.pools.set(app.name, pool);
    if (!app.autostart) void pool.stop();
    this.logs.setApp(app);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.log.info(app.cron !== undefined ? `${app.name}: scheduled job, cron "${app.cron}"` : app.listen.length === 0 ? `${app.name}: background app, ${app.workers} worker(s)` : `${app.name}: listening on ${pool.listening.join(', ')} with ${app.workers} worker(s)`);
    return pool;
  }

  /**
   * Every listening socket held, for a new tsgid to take over (daemon/upgrade/upgrade.ts) or
   * systemd's fd store: `owned` unless systemd passed it from a .socket unit.
   */
  heldSockets(): HeldSocket[] {
    return this.sockets.held();
  }

  private async remove(name: string): Promise<void> {
    const pool = this.pool(name);
    this.watcher.remove(name);
    await pool.stop();
    this.pools.delete(name);
    // systemd's sockets stay open (it holds them and clients queue on them): answered 503 from now on
    const passed = this.sockets.remove(name, pool.config.certfile !== undefined);
    if (passed.length > 0) this.log.warn(`${name}: removed; the socket(s) systemd passed for it (${passed.join(', ')}) stay open and answer 503 until an app of that name is added again`);
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
    const result: ConfigReloadResult = { added: [], removed: [], changed: [], started: [], stopped: [], unchanged: [], errors: [] };
    const record = (app: string, err: unknown): void => {
      const e = err instanceof TsgiError ? err : new TsgiError('TSGI_ERR_APP_BOOT', String(err));
      result.errors.push({ app, code: e.code, message: e.message });
    };
    const steps: Array<Promise<void>> = [];
    const plan = planReload([...this.pools.values()].map((p) => p.config), next, this.config);
    for (const { app: name, action } of plan.apps) {
      const app = next.apps[name]!;
      const pool = this.pools.get(name);
      if (action === 'remove') {
        result.removed.push(name);
        steps.push(this.remove(name).catch((err: unknown) => record(name, err)));
      } else if (action === 'add' || pool === undefined) {
        result.added.push(name);
        steps.push(this.add(app).catch((err: unknown) => record(name, err)));
      } else if (action === 'unchanged') {
        result.unchanged.push(name);
      } else {
        (action === 'start' ? result.started : action === 'stop' ? result.stopped : result.changed).push(name);
        steps.push(this.change(pool, app, action).catch((err: unknown) => record(name, err)));
      }
    }
    if (plan.needs_restart.length > 0) {
      this.log.warn(`config reload: ${plan.needs_restart.join(', ')} changed; admin.*, max_workers and logs.* take effect when tsgid restarts`);
    }
    this.config = { ...next, admin: this.config.admin, max_workers: this.config.max_workers, logs: this.config.logs };
    this.sampler.setInterval(next.stats_interval);
    this.recorded.setInterval(next.stats_interval);
    this.pacer.setLimit(next.max_concurrent_boots);
    this.schedule();
    await Promise.all(steps);
    this.log.info(`config reloaded: added [${result.added}] removed [${result.removed}] changed [${result.changed}] started [${result.started}] stopped [${result.stopped}] unchanged [${result.unchanged}]${result.errors.length > 0 ? `; errors: ${result.errors.map((e) => `${e.app}: ${e.message}`).join('; ')}` : ''}`);
    return result;
  }

  private async change(pool: AppPool, app: AppConfig, action: 'roll' | 'start' | 'stop' | 'update' = 'roll'): Promise<void> {
    await this.sockets.change(pool, app);
    pool.setConfig(app);
    this.logs.setApp(app);
    this.watcher.set(app.name, app.cwd, app.watch);
    this.schedule();
    // a stopped app takes its new settings and stays stopped; reload() starts a stopped one
    if (action === 'stop') await pool.stop();
    else if (action !== 'update') await pool.reload();
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
    this.sockets.closeAll();
    await this.watcher.close();
    this.sampler.stop();
    await Promise.all([...this.pools.values()].map((p) => p.stop('shutdown')));
    this.shutDown = true;
    clearTimeout(this.timer);
    this.log.info('all workers stopped');
    await this.logs.close();
  }
}
