/**
 * One app's pool of workers. It owns no timer: the arbiter calls `reconcile(now)` on every tick,
 * and the pool converges on what it was asked for (its target count, a rolling reload, a stop).
 * Connections accepted on the app's sockets come in through `accept()` and go to routing.ts, which
 * hands each to a ready worker chosen by the app's `balance` policy (balance/) or holds it until one
 * is ready. The app's socket.io cluster-adapter messages go between its workers (adapter-relay.ts).
 * Live workers: pool-workers.ts; reloads and restarts: pool-reload.ts; what a failed worker means
 * for the app: pool-failures.ts; what readers see: pool-status.ts; waiting requests: pool-waits.ts.
 */
import type { AppConfig } from '../config/index.js';
import { TsgiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProcessOps, ProcStats } from '../os/process-ops.js';
import type { Connection } from '../protocol.js';
import { formatMs } from './restart-policy.js';
import type { WorkerEvent, WorkerRecord } from './worker-record.js';
import type { ExitReason } from './worker-state.js';
import type { Withheld } from './worker-env.js';
import { AppMetricsTotals, type UnavailableReason } from './app-metrics.js';
import { BootPacer } from '../arbiter/boot-pacer.js';
import { answerUnavailable, unavailableAnswer, type Unavailable } from './hold-503.js';
import { Router, routerSettings } from './routing.js';
import { CronJob, jobNotScalable } from './cron-job.js';
import { PoolReloads } from './pool-reload.js';
import { PoolFailures } from './pool-failures.js';
import { PoolWaits } from './pool-waits.js';
import { PoolWorkers } from './pool-workers.js';
import { appMetrics, appStatus, ExitLog, historyPoint, type AppMetricsView, type AppStatus, type HistoryPoint, type PoolReading } from './pool-status.js';

// what status readers import from the pool (arbiter, api, cli, history)
export type { AppMetricsView, AppStatus, ExitRecord } from './pool-status.js';
export { RECENT_EXITS } from './pool-status.js';

export interface PoolDeps {
  ops: ProcessOps;
  log: Logger;
  emit(e: WorkerEvent): void;
  /** ask the arbiter for a tick soon */
  changed(): void;
  /** what of tsgid's environment this app's workers must not get (the config's other secrets) */
  withheld?(app: string): Withheld;
  /** the daemon's one boot pacer, shared by every app (unbounded when absent: unit tests) */
  pacer?: BootPacer;
  /** answer a connection no worker can take (hold-503.ts; a fake in unit tests) */
  unavailable?: (conn: Connection, u: Unavailable) => void;
}

export class AppPool {
  private readonly workers: PoolWorkers;
  /** the app's connections: to a ready worker, held, or answered 503 */
  private readonly routing: Router;
  private generation = 1;
  private target = 0;
  private wanted: 'running' | 'stopped' = 'running';
  private stopReason: ExitReason = 'stop';
  /** the latest tick's time: a deadline already past is not reported again */
  private lastNow = 0;
  private readonly pacer: BootPacer;
  private readonly reloads: PoolReloads;
  private readonly failures: PoolFailures;
  private readonly waits: PoolWaits;
  private readonly exits = new ExitLog();
  /** request totals and restarts by reason, for GET /metrics */
  private readonly totals = new AppMetricsTotals();
  /** the addresses actually bound (a configured port 0 becomes the kernel's choice) */
  listening: string[] = [];
  /** a scheduled job's clock and runs (`cron`): its runs replace the target count (cron-job.ts) */
  private cron: CronJob | undefined;

  constructor(
    public config: AppConfig,
    private readonly deps: PoolDeps,
  ) {
    this.setJob(config);
    this.pacer = deps.pacer ?? new BootPacer(Infinity);
    this.routing = new Router({
      ops: deps.ops,
      backlog: () => this.config.backlog,
      refusal: () => this.refusal(),
      unavailable: (conn, reason) => this.unavailable(conn, reason),
    }, routerSettings(config));
    this.workers = new PoolWorkers({
      ...deps,
      config: () => this.config,
      pacer: this.pacer,
      routing: this.routing,
      totals: this.totals,
      spawnFailed: (generation, reason, now) => this.spawnFailed(generation, reason, now),
      exited: (w, to, code, signal, now) => {
        this.exits.record({ worker: w.id, pid: w.pid, state: to, reason: w.reason, code, signal, at: now });
        // a job's run ends by exiting: recorded as a run, never a crash to restart
        const run = this.cron?.finished(w.id, code, signal, w.reason === 'stop' || w.reason === 'shutdown', now, w.bootError) ?? false;
        if (to !== 'stopped' && !run) this.failures.exited(w, to, now);
        this.deps.changed();
      },
    });
    this.reloads = new PoolReloads({
      name: () => this.name,
      target: () => this.target,
      generation: () => this.generation,
      adopt: (generation) => (this.generation = generation),
      serving: () => this.workers.serving(),
      drain: (w, reason, now) => this.workers.drain(w, reason, now),
      converge: (now, generation) => this.converge(now, generation),
      ramp: this.routing,
      spawnUpTo: (n, generation, now) => this.workers.spawnUpTo(n, generation, now),
      log: deps.log,
      changed: () => deps.changed(),
    });
    this.failures = new PoolFailures({
      config: () => this.config,
      log: deps.log,
      stopped: () => this.wanted === 'stopped',
      ready: () => this.routing.readyWorkers.length,
      reloads: this.reloads,
    });
    this.waits = new PoolWaits(() => deps.changed());
  }

  get name(): string {
    return this.config.name;
  }

  // ---- requests (called by the arbiter when it applies a queued command) ----

  /**
   * Resolves once every target worker has been ready for `restart.min_uptime`: an app whose
   * workers crash just after ready is not "started" (it rejects with TSGI_ERR_APP_UNSTABLE).
   */
  start(): Promise<void> {
    if (this.cron !== undefined) return this.startJob();
    this.wanted = 'running';
    this.failures.clear();
    const since = this.deps.ops.now();
    return this.waits.until(() => this.settledSince(since));
  }

  stop(reason: ExitReason = 'stop'): Promise<void> {
    this.wanted = 'stopped';
    this.stopReason = reason;
    this.reloads.cancel(new TsgiError('TSGI_ERR_APP_BOOT', `${this.name}: stopped before the reload finished`));
    return this.waits.until(() => (this.workers.size === 0 ? null : undefined));
  }

  scale(workers: number): Promise<void> {
    if (this.cron !== undefined) throw jobNotScalable(this.name);
    this.target = workers;
    return this.waits.until(() => this.startedOrFailed());
  }

  /**
   * Stop one worker (POST /v1/apps/:name/workers/:id/stop) as max_requests would: a replacement
   * boots, then this one drains, so the app never serves with one fewer. Resolves once it is gone.
   */
  stopWorker(id: number): Promise<void> {
    const w = this.workers.get(id);
    if (w === undefined) throw new TsgiError('TSGI_ERR_WORKER_NOT_FOUND', `${this.name} has no worker ${id} (live: ${this.workers.ids().join(', ') || 'none'})`);
    if (w.state !== 'ready' || this.wanted === 'stopped') throw new TsgiError('TSGI_ERR_WORKER_NOT_READY', `${this.name}: worker ${id} is ${w.state}; only a ready worker of a running app can be stopped`);
    this.workers.retire(w, 'restart', 'stopped through the admin API');
    return this.waits.until(() => (this.workers.get(id) === undefined ? null : undefined));
  }

  /** Rolling reload: new workers boot first; old ones drain only once every new one is ready. */
  reload(): Promise<void> {
    // a job's next run takes the new code; the one going is left to finish
    if (this.cron !== undefined) return this.startJob();
    if (this.wanted === 'stopped' || this.failures.reason !== undefined || this.routing.readyWorkers.length === 0) return this.restart();
    return this.reloads.enqueue('reload');
  }

  /** Hard restart: stop all, start all. Connections arriving in between wait in the arbiter. */
  restart(): Promise<void> {
    if (this.cron !== undefined) return this.startJob();
    this.wanted = 'running';
    this.failures.clear();
    return this.reloads.enqueue('restart');
  }

  /** Replace settings; the caller decides whether a reload is needed to apply them. */
  setConfig(config: AppConfig): void {
    this.routing.configure(routerSettings(config));
    this.config = config;
    this.setJob(config);
  }

  private setJob(config: AppConfig): void {
    const now = this.deps.ops.now();
    if (config.cron === undefined) this.cron = undefined;
    else if (this.cron === undefined) this.cron = new CronJob(config, now);
    else this.cron.setConfig(config, now);
    // a job has no standing workers: the schedule starts its runs
    this.target = this.cron === undefined ? config.workers : 0;
  }

  /** A scheduled job runs once the schedule says so; (re)starting it owes no run for the time it was stopped. */
  private startJob(): Promise<void> {
    if (this.wanted === 'stopped') this.cron!.resume(this.deps.ops.now());
    this.wanted = 'running';
    this.deps.changed();
    return Promise.resolve();
  }

  /** tsgictl run: start one run of a scheduled job now (or queue it behind the one going, by `overlap`). */
  runJob(): Promise<'started' | 'queued'> {
    if (this.cron === undefined || this.wanted === 'stopped') {
      throw new TsgiError('TSGI_ERR_JOB_NOT_SCHEDULED', this.cron === undefined ? `${this.name} has no cron: it is not a scheduled job` : `${this.name} is stopped: start it first`);
    }
    const r = this.cron.runNow();
    this.deps.changed();
    return Promise.resolve(r);
  }

  // ---- connections ----

  accept(conn: Connection): void {
    this.routing.accept(conn);
  }

  /** Answer a connection no worker can take: 503 with Retry-After (hold-503.ts), counted. */
  private unavailable(conn: Connection, reason: UnavailableReason): void {
    this.totals.unavailable[reason]!++;
    const { restart, hold_timeout, backlog, certfile } = this.config;
    (this.deps.unavailable ?? answerUnavailable)(conn, unavailableAnswer(reason, { app: this.name, failedReason: this.failures.reason, failedAt: this.failures.at, retryFailed: restart.retry_failed, holdTimeout: hold_timeout, backlog, tls: certfile !== undefined }, this.deps.ops.now()));
  }

  /** Why the app takes no connection at all, if it takes none. */
  private refusal(): 'stopped' | 'failed' | undefined {
    if (this.wanted === 'stopped') return 'stopped';
    return this.failures.reason !== undefined && this.routing.readyWorkers.length === 0 ? 'failed' : undefined;
  }

  // ---- the tick ----

  reconcile(now: number): void {
    this.lastNow = now;
    this.enforceDeadlines(now);
    this.failures.retryDue(now);
    if (this.wanted === 'stopped') {
      for (const w of this.workers.serving()) this.workers.drain(w, this.stopReason, now);
    } else if (this.cron !== undefined) {
      this.tickJob(this.cron, now);
    } else if (this.failures.reason === undefined) {
      if (!this.reloads.tick(now)) this.converge(now, this.generation);
    }
    const refused = this.refusal();
    if (refused !== undefined) this.routing.dropHeld(refused);
    else this.routing.expireHeld(now, this.config.hold_timeout);
    this.waits.settle();
  }

  private converge(now: number, generation: number): void {
    const serving = this.workers.serving();
    // a retiring worker keeps serving but no longer counts: its replacement is spawned beside it
    const keep = serving.filter((w) => w.retiring === undefined);
    if (keep.length > this.target) {
      // scale down: unready ones first, then the oldest (gunicorn retires by age)
      const order = [...keep].sort((a, b) => rank(a) - rank(b) || a.startedAt - b.startedAt);
      for (const w of order.slice(0, keep.length - this.target)) this.workers.drain(w, 'scale', now);
    } else if (keep.length < this.target && now >= this.failures.backoffUntil) {
      this.workers.spawnUpTo(this.target - keep.length, generation, now);
    }
    // only once enough replacements are ready do retiring workers drain: nothing is lost
    if (keep.filter((w) => w.state === 'ready').length >= this.target) {
      for (const w of serving) if (w.retiring !== undefined) this.workers.drain(w, w.retiring, now);
    }
  }

  /** A job's tick: a run past run_timeout is stopped, and a run that is due is spawned. */
  private tickJob(job: CronJob, now: number): void {
    const late = job.overdue(now);
    const w = late === undefined ? undefined : this.workers.get(late);
    if (w !== undefined) {
      this.deps.log.warn(`${this.name}: run of worker ${w.id} (pid ${w.pid}) past run_timeout (${formatMs(this.config.run_timeout)}); stopping it`);
      this.workers.drain(w, 'timeout', now);
    }
    job.tick(now);
    if (!job.wants || !this.pacer.take()) return;
    const id = this.workers.next;
    if (this.workers.spawn(this.generation, now)) job.started(id, now);
    else this.pacer.release();
  }

  /** Fresh figures from the daemon's one sampler; a worker over max_memory is recycled. */
  sampled(stats: ReadonlyMap<number, ProcStats>): void { this.workers.sampled(stats); }

  private enforceDeadlines(now: number): void {
    if (this.heartbeats) this.workers.lookAlive(now, this.config.timeout);
    for (const w of this.workers.values()) {
      // SIGKILL is final: all that is left is to reap it
      if (w.killed) continue;
      if (w.killAt !== undefined) {
        if (now >= w.killAt) this.workers.kill(w);
      } else if (w.state === 'starting' && !this.heartbeats && w.bootError === undefined && now - w.startedAt >= this.config.restart.min_uptime) {
        // a program that cannot say it is ready is ready once it has stayed up min_uptime (os/command-process.ts)
        this.workers.ready(w, now);
      } else if (w.state === 'starting' && now - w.startedAt > this.config.boot_timeout) {
        // other workers booting beside it: the host may be what was slow, not the app
        w.bootTimedOut(`not ready within boot_timeout (${formatMs(this.config.boot_timeout)})`, this.pacer.booting > 1);
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) ${w.bootError}; killing it`);
        this.workers.kill(w);
      } else if (w.state === 'ready' && this.heartbeats && now - w.lastSeen > this.config.timeout) {
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) sent no heartbeat for ${formatMs(now - w.lastSeen)} (timeout ${formatMs(this.config.timeout)}); killing it`);
        this.workers.terminate(w, 'timeout', now);
      } else if (w.state === 'draining' && now > (w.drainDeadline ?? Infinity)) {
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) still draining after graceful_timeout; killing it`);
        this.workers.kill(w);
      }
    }
  }

  /** A `command` app's programs have no IPC channel, so no heartbeat: `timeout` does not apply (os/command-process.ts); nor to a job's run, bounded by run_timeout. */
  private get heartbeats(): boolean {
    return this.config.command === undefined && this.config.cron === undefined;
  }

  /** The earliest time something in this pool falls due (a backoff ends, a kill is due, a deadline passes). */
  nextDeadline(): number {
    let t = Math.min(this.failures.nextDeadline(this.lastNow), this.reloads.nextDeadline());
    t = Math.min(t, this.routing.nextExpiry(this.config.hold_timeout));
    if (this.cron !== undefined && this.wanted === 'running') t = Math.min(t, this.cron.nextDeadline());
    if (this.waits.any) {
      // `start` waits for its workers to have been ready min_uptime
      for (const w of this.routing.readyWorkers) if (w.readyAt !== null && w.readyAt + this.config.restart.min_uptime > this.lastNow) t = Math.min(t, w.readyAt + this.config.restart.min_uptime);
    }
    for (const w of this.workers.values()) {
      if (w.killed) continue;
      if (w.killAt !== undefined) t = Math.min(t, w.killAt);
      else if (w.state === 'starting') t = Math.min(t, w.startedAt + (this.heartbeats ? this.config.boot_timeout + 1 : this.config.restart.min_uptime));
      else if (w.state === 'ready' && this.heartbeats) t = Math.min(t, w.lastSeen + this.config.timeout + 1);
      else if (w.state === 'draining') t = Math.min(t, w.drainDeadline ?? Infinity);
    }
    return t;
  }

  /** A worker that could not even be spawned counts as one that failed to boot. */
  private spawnFailed(generation: number, reason: string, now: number): void {
    this.failures.cannotSpawn(reason);
    if (this.cron !== undefined) {
      this.cron.startFailed(reason, now);
      return;
    }
    this.failures.spawnFailed(generation, reason, now);
    this.deps.changed();
  }

  // ---- what requests wait for ----
  private settledSince(since: number): TsgiError | null | undefined {
    const unstable = this.failures.unstableSince(since);
    if (unstable !== undefined) return unstable;
    const serving = this.workers.serving();
    const settled = (w: WorkerRecord): boolean => w.state === 'ready' && w.readyAt !== null && this.lastNow - w.readyAt >= this.config.restart.min_uptime;
    return serving.length === this.target && serving.every(settled) ? null : undefined;
  }

  private startedOrFailed(): TsgiError | null | undefined {
    const failed = this.failures.failedError();
    if (failed !== undefined) return failed;
    const serving = this.workers.serving();
    return serving.length === this.target && serving.every((w) => w.state === 'ready') ? null : undefined;
  }

  // ---- reading (pool-status.ts) ----
  /** True when no process of this pool is left. */
  get idle(): boolean {
    return this.workers.size === 0;
  }

  status(now: number): AppStatus {
    return appStatus(this.reading(), now);
  }

  metrics(): AppMetricsView {
    return appMetrics(this.reading());
  }

  /** One point of the app's history (arbiter/history.ts): what the pool holds, nothing copied but its last exits. */
  historyPoint(): HistoryPoint {
    return historyPoint(this.reading());
  }

  /** The sampler's list of whom to read, added to `out`: every worker, or those ready since `readySince`. */
  pidsInto(out: number[], readySince?: number): void {
    for (const w of this.workers.values()) if (w.pid !== undefined && (readySince === undefined || (w.readyAt !== null && w.readyAt >= readySince))) out.push(w.pid);
  }

  private reading(): PoolReading {
    const r = this.routing;
    return {
      name: this.name, config: this.config, listening: this.listening, wanted: this.wanted, target: this.target, generation: this.generation,
      reloading: this.reloads.active, job: this.cron, failures: this.failures, exits: this.exits, totals: this.totals,
      ready: r.readyWorkers.length, waiting: r.waiting, balance: r.balance.name, workers: [...this.workers.values()],
    };
  }
}

/** scale-down order: a worker not yet ready is the cheapest to let go */
function rank(w: WorkerRecord): number {
  return w.state === 'starting' ? 0 : 1;
}
