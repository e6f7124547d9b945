/**
 * One app's pool of workers. It owns no timer: the arbiter calls `reconcile(now)` on every tick,
 * and the pool converges on what it was asked for (its target count, a rolling reload, a stop).
 * Connections accepted on the app's sockets come in through `accept()` and go to routing.ts, which
 * hands each to a ready worker chosen by the app's `balance` policy (balance/) or holds it until one
 * is ready. The app's socket.io cluster-adapter messages go between its workers (adapter-relay.ts).
 */
import { formatListen, type AppConfig } from '../config/index.js';
import { TsgiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProcessOps, ProcStats } from '../os/process-ops.js';
import type { Connection } from '../protocol.js';
import { decideRestart, formatMs } from './restart-policy.js';
import { WorkerRecord, type WorkerEvent, type WorkerStatus } from './worker-record.js';
import type { AppState, ExitReason, WorkerState } from './worker-state.js';
import { pipeLines } from '../os/lines.js';
import { describeMessage, parseWorkerMessage } from './worker-messages.js';
import { buildWorkerEnv, NOTHING_WITHHELD, redact, type Withheld, type WorkerEnv } from './worker-env.js';
import { AppMetricsTotals, type AppMetrics, type UnavailableReason } from './app-metrics.js';
import { BootPacer } from '../arbiter/boot-pacer.js';
import { answerUnavailable, unavailableAnswer, type Unavailable } from './hold-503.js';
import { Router } from './routing.js';
import type { BalanceName } from './balance/policy.js';
import { AdapterRelay, isAdapterMessage } from './adapter-relay.js';
import { workerSpec } from './worker-spec.js';
import { CronJob, type JobStatus } from './cron-job.js';
import type { HistoryPoint } from '../arbiter/history.js';

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

interface Run {
  kind: 'reload' | 'restart';
  generation: number;
  drained: boolean;
  error: string | undefined;
  waiters: Waiter[];
}

interface Waiter {
  resolve(): void;
  reject(err: TsgiError): void;
}

/** Checked after every tick; returns undefined while the action is still under way. */
interface Pending extends Waiter {
  check(): TsgiError | null | undefined;
}

export interface ExitRecord {
  worker: number;
  pid: number | undefined;
  state: WorkerState;
  reason: ExitReason | undefined;
  code: number | null;
  signal: string | null;
  at: number;
}

export interface AppStatus {
  name: string;
  state: AppState;
  /** the app's `balance` policy */
  balance: BalanceName;
  target: number;
  ready: number;
  generation: number;
  restarts: number;
  listen: string[];
  pending_connections: number;
  failed_reason: string | null;
  /** when a failed app is tried again on its own (restart.retry_failed), else null */
  retry_at: number | null;
  last_boot_error: string | null;
  last_exit: ExitRecord | null;
  /** every worker exit (crash, reload, recycle, scale…), newest first, at most RECENT_EXITS */
  recent_restarts: ExitRecord[];
  /** responses served since the app was added, by all its workers past and present (never decreases) */
  requests_total: number;
  workers: WorkerStatus[];
  /** a scheduled job's (`cron`) schedule and last runs; null for other apps */
  job: JobStatus | null;
}

export interface AppMetricsView extends AppMetrics {
  name: string;
  target: number;
  ready: number;
  /** `codes`: the worker's responses by status class, as of its last heartbeat (request-stats.ts) */
  workers: Array<{ id: number; requests: number; codes: readonly number[]; inflight: number; connections: number; rss: number | null; cpuSeconds: number | null }>;
}

/** enough to see a crash loop or the last reloads on the dashboard, little enough to send every second */
export const RECENT_EXITS = 20;
/** SIGKILL follows SIGTERM this long after, for a worker that does not go by itself */
const KILL_GRACE_MS = 1000;

export class AppPool {
  private readonly workers = new Map<number, WorkerRecord>();
  /** the app's connections: to a ready worker, held, or answered 503 */
  private readonly routing: Router;
  /** socket.io cluster-adapter messages between this app's workers */
  private readonly relay: AdapterRelay<WorkerRecord>;
  private nextId = 1;
  private generation = 1;
  private target = 0;
  private wanted: 'running' | 'stopped' = 'running';
  private failures: number[] = [];
  private backoffUntil = 0;
  private failedReason: string | undefined;
  private failedAt = 0;
  /** the latest counted crash (within min_uptime of ready), for `start` to see that it did not hold */
  private lastCountedCrash: { at: number; detail: string } | undefined;
  /** the latest tick's time: a deadline already past is not reported again */
  private lastNow = 0;
  private readonly pacer: BootPacer;
  private lastBootError: string | undefined;
  private lastExit: ExitRecord | undefined;
  /** a ring of the latest exits, oldest first */
  private readonly recentExits: ExitRecord[] = [];
  private restarts = 0;
  /** request totals and restarts by reason, for GET /metrics */
  private readonly totals = new AppMetricsTotals();
  private run: Run | undefined;
  /** reloads asked for while one runs are merged into this one */
  private nextRun: Run | undefined;
  private pendings: Pending[] = [];
  /** per worker: the values of its env and env_file, redacted from what it reports */
  private readonly secrets = new Map<number, readonly string[]>();
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
      now: () => this.deps.ops.now(),
      backlog: () => this.config.backlog,
      refusal: () => this.refusal(),
      unavailable: (conn, reason) => this.unavailable(conn, reason),
    }, config);
    this.relay = new AdapterRelay(config.name, (line) => deps.log.warn(line), () => this.config.relay_max_message);
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
    this.clearFailure();
    const since = this.deps.ops.now();
    return this.until(() => this.settledSince(since));
  }

  stop(reason: ExitReason = 'stop'): Promise<void> {
    this.wanted = 'stopped';
    this.stopReason = reason;
    this.cancelRuns(new TsgiError('TSGI_ERR_APP_BOOT', `${this.name}: stopped before the reload finished`));
    return this.until(() => (this.workers.size === 0 ? null : undefined));
  }

  private stopReason: ExitReason = 'stop';

  scale(workers: number): Promise<void> {
    this.target = workers;
    return this.until(() => this.startedOrFailed());
  }

  /**
   * Stop one worker (POST /v1/apps/:name/workers/:id/stop) as max_requests would: a replacement
   * boots, then this one drains, so the app never serves with one fewer. Resolves once it is gone.
   */
  stopWorker(id: number): Promise<void> {
    const w = this.workers.get(id);
    if (w === undefined) throw new TsgiError('TSGI_ERR_WORKER_NOT_FOUND', `${this.name} has no worker ${id} (live: ${[...this.workers.keys()].join(', ') || 'none'})`);
    if (w.state !== 'ready' || this.wanted === 'stopped') throw new TsgiError('TSGI_ERR_WORKER_NOT_READY', `${this.name}: worker ${id} is ${w.state}; only a ready worker of a running app can be stopped`);
    this.retire(w, 'restart', 'stopped through the admin API');
    return this.until(() => (this.workers.has(id) ? undefined : null));
  }

  /** Rolling reload: new workers boot first; old ones drain only once every new one is ready. */
  reload(): Promise<void> {
    // a job's next run takes the new code; the one going is left to finish
    if (this.cron !== undefined) return this.startJob();
    if (this.wanted === 'stopped' || this.failedReason !== undefined || this.routing.readyWorkers.length === 0) return this.restart();
    return this.enqueueRun('reload');
  }

  /** Hard restart: stop all, start all. Connections arriving in between wait in the arbiter. */
  restart(): Promise<void> {
    if (this.cron !== undefined) return this.startJob();
    this.wanted = 'running';
    this.clearFailure();
    return this.enqueueRun('restart');
  }

  /** Replace settings; the caller decides whether a reload is needed to apply them. */
  setConfig(config: AppConfig): void {
    this.routing.configure(config);
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
    const c = this.config;
    const u = unavailableAnswer(reason, { app: this.name, failedReason: this.failedReason, failedAt: this.failedAt, retryFailed: c.restart.retry_failed, holdTimeout: c.hold_timeout, backlog: c.backlog, tls: c.certfile !== undefined }, this.deps.ops.now());
    (this.deps.unavailable ?? answerUnavailable)(conn, u);
  }

  /** Why the app takes no connection at all, if it takes none. */
  private refusal(): 'stopped' | 'failed' | undefined {
    if (this.wanted === 'stopped') return 'stopped';
    return this.failedReason !== undefined && this.routing.readyWorkers.length === 0 ? 'failed' : undefined;
  }

  // ---- the tick ----

  reconcile(now: number): void {
    this.lastNow = now;
    this.enforceDeadlines(now);
    this.retryFailed(now);
    if (this.wanted === 'stopped') {
      for (const w of this.serving()) this.drain(w, this.stopReason, now);
    } else if (this.cron !== undefined) {
      this.tickJob(this.cron, now);
    } else if (this.failedReason === undefined) {
      if (this.run === undefined && this.nextRun !== undefined) {
        this.run = this.nextRun;
        this.nextRun = undefined;
        this.run.generation = this.generation + 1;
      }
      if (this.run !== undefined) this.advanceRun(now);
      else this.converge(now, this.generation);
    }
    const refused = this.refusal();
    if (refused !== undefined) this.routing.dropHeld(refused);
    else this.routing.expireHeld(now, this.config.hold_timeout);
    this.settle();
  }

  private converge(now: number, generation: number): void {
    const serving = this.serving();
    // a retiring worker keeps serving but no longer counts: its replacement is spawned beside it
    const keep = serving.filter((w) => w.retiring === undefined);
    if (keep.length > this.target) {
      // scale down: unready ones first, then the oldest (gunicorn retires by age)
      const order = [...keep].sort((a, b) => rank(a) - rank(b) || a.startedAt - b.startedAt);
      for (const w of order.slice(0, keep.length - this.target)) this.drain(w, 'scale', now);
    } else if (keep.length < this.target && now >= this.backoffUntil) {
      this.spawnUpTo(this.target - keep.length, generation, now);
    }
    // only once enough replacements are ready do retiring workers drain: nothing is lost
    if (keep.filter((w) => w.state === 'ready').length >= this.target) {
      for (const w of serving) if (w.retiring !== undefined) this.drain(w, w.retiring, now);
    }
  }

  /** A job's tick: a run past run_timeout is stopped, and a run that is due is spawned. */
  private tickJob(job: CronJob, now: number): void {
    const late = job.overdue(now);
    const w = late === undefined ? undefined : this.workers.get(late);
    if (w !== undefined) {
      this.deps.log.warn(`${this.name}: run of worker ${w.id} (pid ${w.pid}) past run_timeout (${formatMs(this.config.run_timeout)}); stopping it`);
      this.drain(w, 'timeout', now);
    }
    job.tick(now);
    if (!job.wants || !this.pacer.take()) return;
    const id = this.nextId;
    if (this.spawn(this.generation, now)) job.started(id, now);
    else this.pacer.release();
  }

  /** Replace a worker gracefully (max_requests, max_memory): a new one boots, then this one drains. */
  private retire(w: WorkerRecord, reason: ExitReason, detail: string): void {
    if (!w.retire(reason)) return;
    this.deps.log.info(`${this.name}: recycling worker ${w.id} (pid ${w.pid}): ${detail}`);
    this.deps.changed();
  }

  /** Fresh figures from the daemon's one sampler; a worker over max_memory is recycled. */
  sampled(stats: ReadonlyMap<number, ProcStats>): void {
    const limit = this.config.max_memory;
    for (const w of this.workers.values()) {
      const st = w.pid === undefined ? undefined : stats.get(w.pid);
      if (st === undefined) continue;
      w.rss = st.rss;
      w.cpu = st.cpu;
      w.cpuSeconds = st.cpuSeconds ?? null;
      if (limit > 0 && st.rss > limit) this.retire(w, 'max_memory', `rss ${mb(st.rss)} over max_memory ${mb(limit)}`);
    }
  }

  private advanceRun(now: number): void {
    const run = this.run!;
    if (run.kind === 'restart') {
      if (!run.drained) {
        for (const w of this.serving()) this.drain(w, 'restart', now);
        run.drained = true;
        this.generation = run.generation;
      }
      this.converge(now, run.generation);
      const fresh = this.serving().filter((w) => w.generation === run.generation);
      if (fresh.length >= this.target && fresh.every((w) => w.state === 'ready')) this.finishRun(undefined);
      return;
    }
    const fresh = this.serving().filter((w) => w.generation === run.generation);
    if (run.error !== undefined) {
      for (const w of fresh) this.drain(w, 'abandoned', now);
      this.deps.log.warn(`${this.name}: reload abandoned, old workers keep serving: ${run.error}`);
      this.finishRun(new TsgiError('TSGI_ERR_APP_BOOT', `${this.name}: reload abandoned, the new code did not boot: ${run.error}`));
      return;
    }
    this.spawnUpTo(this.target - fresh.length, run.generation, now);
    if (fresh.length >= this.target && fresh.every((w) => w.state === 'ready')) {
      for (const w of this.serving()) if (w.generation !== run.generation) this.drain(w, 'reload', now);
      this.generation = run.generation;
      this.deps.log.info(`${this.name}: reloaded (generation ${run.generation})`);
      this.finishRun(undefined);
    }
  }

  private finishRun(err: TsgiError | undefined): void {
    const run = this.run!;
    this.run = undefined;
    for (const w of run.waiters) err === undefined ? w.resolve() : w.reject(err);
  }

  private enqueueRun(kind: Run['kind']): Promise<void> {
    return new Promise((resolve, reject) => {
      // a request made while a run is under way needs a run that starts after it; any number of
      // such requests share that one run
      if (this.nextRun === undefined) this.nextRun = { kind, generation: 0, drained: false, error: undefined, waiters: [] };
      else if (kind === 'restart') this.nextRun.kind = 'restart';
      this.nextRun.waiters.push({ resolve, reject });
      this.deps.changed();
    });
  }

  private cancelRuns(err: TsgiError): void {
    for (const run of [this.run, this.nextRun]) for (const w of run?.waiters ?? []) w.reject(err);
    this.run = undefined;
    this.nextRun = undefined;
  }

  private enforceDeadlines(now: number): void {
    for (const w of this.workers.values()) {
      // SIGKILL is final: all that is left is to reap it
      if (w.killed) continue;
      if (w.killAt !== undefined) {
        if (now >= w.killAt) this.kill(w);
      } else if (w.state === 'starting' && !this.heartbeats && w.bootError === undefined && now - w.startedAt >= this.config.restart.min_uptime) {
        // a program that cannot say it is ready is ready once it has stayed up min_uptime (os/command-process.ts)
        this.becameReady(w, now);
      } else if (w.state === 'starting' && now - w.startedAt > this.config.boot_timeout) {
        // other workers booting beside it: the host may be what was slow, not the app
        w.bootTimedOut(`not ready within boot_timeout (${formatMs(this.config.boot_timeout)})`, this.pacer.booting > 1);
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) ${w.bootError}; killing it`);
        this.kill(w);
      } else if (w.state === 'ready' && this.heartbeats && now - w.lastSeen > this.config.timeout) {
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) sent no heartbeat for ${formatMs(now - w.lastSeen)} (timeout ${formatMs(this.config.timeout)}); killing it`);
        w.terminate('timeout', now + KILL_GRACE_MS);
        // it cannot take connections any more: route them to its siblings during the grace
        this.refreshReady();
      } else if (w.state === 'draining' && now > (w.drainDeadline ?? Infinity)) {
        this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) still draining after graceful_timeout; killing it`);
        this.kill(w);
      }
    }
  }

  /** A `command` app's programs have no IPC channel, so no heartbeat: `timeout` does not apply (os/command-process.ts). */
  private get heartbeats(): boolean {
    return this.config.command === undefined;
  }

  private kill(w: WorkerRecord): void {
    w.kill();
    this.refreshReady();
  }


  /** The earliest time something in this pool falls due (a backoff ends, a kill is due, a deadline passes). */
  nextDeadline(): number {
    let t = this.backoffUntil > this.lastNow ? this.backoffUntil : Infinity;
    if (this.failedReason !== undefined && this.config.restart.retry_failed > 0) t = Math.min(t, this.failedAt + this.config.restart.retry_failed);
    t = Math.min(t, this.routing.nextExpiry(this.config.hold_timeout));
    if (this.cron !== undefined && this.wanted === 'running') t = Math.min(t, this.cron.nextDeadline());
    if (this.pendings.length > 0) {
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

  // ---- workers ----

  /** Spawn up to `n` workers, as many as the boot pacer has slots for; a freed slot asks for a tick. */
  private spawnUpTo(n: number, generation: number, now: number): void {
    for (let i = 0; i < n && this.pacer.take(); i++) {
      // no worker could be started (its env_file is unreadable): its slot goes back, and no more this tick
      if (!this.spawn(generation, now)) {
        this.pacer.release();
        break;
      }
    }
  }

  /** false when no worker could be started (its env_file is unreadable): the caller stops asking for more this tick */
  private spawn(generation: number, now: number): boolean {
    const c = this.config;
    let built: WorkerEnv;
    try {
      built = buildWorkerEnv(c, process.env, this.deps.withheld?.(c.name) ?? NOTHING_WITHHELD);
    } catch (err) {
      this.spawnFailed(generation, `apps.${c.name}.env_file: ${(err as Error).message}`, now);
      return false;
    }
    const id = this.nextId++;
    const spec = workerSpec(c, id, () => this.deps.ops.random());
    const proc = this.deps.ops.spawn(spec, built.env);
    // the boot slot goes back when the worker leaves `starting`, whichever way
    const emit = (e: WorkerEvent): void => {
      if (e.from === 'starting' && e.to !== 'starting') {
        this.pacer.release();
        this.deps.changed();
      }
      this.deps.emit(e);
    };
    const w = new WorkerRecord(c.name, id, generation, proc, now, emit);
    this.workers.set(id, w);
    this.secrets.set(id, built.secrets);
    if (proc.stdout) pipeLines(proc.stdout, (line) => this.deps.log.worker(c.name, id, 'out', line));
    if (proc.stderr) pipeLines(proc.stderr, (line) => this.deps.log.worker(c.name, id, 'err', line));
    proc.onMessage((msg) => this.onMessage(w, msg));
    proc.onExit((code, signal) => this.onExit(w, code, signal));
    this.deps.emit({ type: 'worker', app: c.name, worker: id, pid: proc.pid, from: 'starting', to: 'starting', at: now });
    return true;
  }

  /** A worker that could not even be spawned counts as one that failed to boot. */
  private spawnFailed(generation: number, reason: string, now: number): void {
    this.lastBootError = reason;
    this.deps.log.error(`${this.name}: cannot start a worker: ${reason}`);
    if (this.cron !== undefined) {
      this.cron.startFailed(reason, now);
      return;
    }
    if (this.run?.kind === 'reload' && generation === this.run.generation) {
      this.run.error ??= reason;
    } else if (this.routing.readyWorkers.length === 0) {
      this.fail(`boot failure: ${reason}`, now);
    } else {
      const { decision, failures } = decideRestart(this.config.restart, this.failures, now, 0);
      this.failures = failures;
      if (decision.kind === 'give-up') this.fail(decision.message, now);
      else this.backoffUntil = Math.max(this.backoffUntil, now + decision.delay);
    }
    this.deps.changed();
  }

  private onMessage(w: WorkerRecord, raw: unknown): void {
    // the app's own messages, its adapter's: checked first, they are most of what a busy socket.io app sends
    if (isAdapterMessage(raw)) {
      this.relay.relay(w, raw, this.workers.values());
      return;
    }
    const msg = parseWorkerMessage(raw);
    if (msg === undefined) {
      // the app's own process.send(): told once per worker, so a loop of them cannot flood the log
      if (w.sentMalformed()) this.deps.log.warn(`${this.name}: worker ${w.id} sent a message that is not tsgi's; ignored, as any more will be: ${describeMessage(raw)}`);
      return;
    }
    const now = this.deps.ops.now();
    w.heard(now);
    switch (msg.t) {
      case 'ready':
        if (w.state !== 'starting') return;
        this.becameReady(w, now);
        break;
      case 'boot-error': {
        // the app's own message may quote its secrets (a connection string): every reader of
        // bootError (status, API, dashboard, this log) gets it redacted
        const secrets = this.secrets.get(w.id) ?? [];
        w.bootFailed(redact(msg.message, secrets));
        this.deps.log.error(`${this.name}: worker ${w.id} failed to boot: ${redact(msg.stack ?? msg.message, secrets)}`);
        break;
      }
      case 'retire':
        this.retire(w, msg.reason, `served ${w.requests > 0 ? w.requests : 'its'} max_requests`);
        return;
      case 'got':
        this.routing.acknowledged(w, msg.ids);
        if (msg.connections !== undefined) {
          w.connections = msg.connections;
          this.routing.balance.reported(w);
        }
        return;
      case 'sid':
        this.routing.balance.learned(w, msg.sid);
        return;
      case 'access':
        this.deps.log.access(this.name, msg.lines);
        return;
      case 'hb':
        w.requests = msg.requests;
        w.inflight = msg.inflight;
        w.connections = msg.connections;
        this.routing.balance.reported(w);
        this.totals.report(w.counts, msg);
        return; // a heartbeat changes nothing the tick acts on
    }
    this.deps.changed();
  }

  private becameReady(w: WorkerRecord, now: number): void {
    w.transition('ready', now);
    this.refreshReady();
    this.routing.flushHeld();
  }

  private onExit(w: WorkerRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const now = this.deps.ops.now();
    const to = w.exited(code, signal, now);
    this.totals.exited(w.reason);
    this.workers.delete(w.id);
    this.secrets.delete(w.id);
    this.routing.balance.forget(w);
    this.relay.forget(w);
    this.refreshReady();
    this.routing.redeliverAll(w);
    this.lastExit = { worker: w.id, pid: w.pid, state: to, reason: w.reason, code, signal, at: now };
    this.recentExits.push(this.lastExit);
    if (this.recentExits.length > RECENT_EXITS) this.recentExits.shift();
    // a job's run ends by exiting: recorded as a run, never a crash to restart
    const run = this.cron?.finished(w.id, code, signal, w.reason === 'stop' || w.reason === 'shutdown', now) ?? false;
    if (to !== 'stopped' && !run) this.afterFailure(w, to, now);
    this.deps.changed();
  }

  private afterFailure(w: WorkerRecord, to: WorkerState, now: number): void {
    const how = w.exitSignal !== null ? `signal ${w.exitSignal}` : `code ${w.exitCode}`;
    if (w.bootError !== undefined) this.lastBootError = w.bootError;
    const run = this.run;
    if (run?.kind === 'reload' && w.generation === run.generation) {
      run.error ??= w.bootError ?? `a new worker exited (${how}) before it was ready`;
      return;
    }
    this.restarts++;
    this.deps.log.warn(`${this.name}: worker ${w.id} (pid ${w.pid}) ${to === 'failed' ? 'failed to boot' : 'exited'} (${how}, ${w.reason})`);
    if (this.wanted === 'stopped' || this.failedReason !== undefined) return;
    // a kill from outside is not the app's crash, nor a boot timeout while the host booted others too:
    // replaced at once (the boot pacer bounds how fast), never counted toward a crash loop
    if (w.reason === 'killed' || (w.reason === 'boot-timeout' && w.bootTimeoutShared)) return;
    if (to === 'failed' && w.reason !== 'boot-timeout' && this.routing.readyWorkers.length === 0) {
      // the code on disk does not load: looping on it helps nobody (gunicorn halts on APP_LOAD_ERROR)
      this.fail(`boot failure: ${w.bootError}`, now);
      return;
    }
    const uptime = w.readyAt === null ? 0 : now - w.readyAt;
    const { decision, failures } = decideRestart(this.config.restart, this.failures, now, uptime);
    this.failures = failures;
    if (uptime < this.config.restart.min_uptime && w.readyAt !== null) this.lastCountedCrash = { at: now, detail: `worker ${w.id} exited (${how}) ${formatMs(uptime)} after it was ready` };
    if (decision.kind === 'give-up') this.fail(decision.message, now);
    else this.backoffUntil = Math.max(this.backoffUntil, now + decision.delay);
  }

  private fail(reason: string, now: number): void {
    if (this.failedReason !== undefined) return;
    this.failedReason = reason;
    this.failedAt = now;
    const retry = this.config.restart.retry_failed;
    this.deps.log.error(`${this.name}: marked failed: ${reason}${retry > 0 ? `; retrying in ${formatMs(retry)} (restart.retry_failed)` : ''}`);
    const err = new TsgiError('TSGI_ERR_APP_FAILED', `${this.name}: ${reason}`);
    if (this.run !== undefined) this.finishRun(err);
  }


  private clearFailure(): void {
    this.failedReason = undefined;
    this.failures = [];
    this.backoffUntil = 0;
  }

  /** CrashLoopBackOff's rule: a failed app is tried again on its own, after restart.retry_failed. */
  private retryFailed(now: number): void {
    const retry = this.config.restart.retry_failed;
    if (this.failedReason === undefined || this.wanted === 'stopped' || retry === 0 || now < this.failedAt + retry) return;
    this.deps.log.info(`${this.name}: trying again ${formatMs(retry)} after it was marked failed (restart.retry_failed)`);
    this.clearFailure();
  }

  private drain(w: WorkerRecord, reason: ExitReason, now: number): void {
    if (w.state === 'draining') return;
    w.drain(reason, now, now + this.config.graceful_timeout + KILL_GRACE_MS);
    this.refreshReady();
  }

  private serving(): WorkerRecord[] {
    return [...this.workers.values()].filter((w) => w.state === 'starting' || w.state === 'ready');
  }

  private refreshReady(): void {
    // a worker being killed stays 'ready' until reaped, but takes no more connections
    this.routing.setReady([...this.workers.values()].filter((w) => w.takesConnections));
  }

  // ---- waiting for an action to finish ----

  private until(check: () => TsgiError | null | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendings.push({ check, resolve, reject });
      this.deps.changed();
    });
  }

  private settledSince(since: number): TsgiError | null | undefined {
    if (this.failedReason !== undefined) return new TsgiError('TSGI_ERR_APP_FAILED', `${this.name}: ${this.failedReason}`);
    const crash = this.lastCountedCrash;
    if (crash !== undefined && crash.at >= since) {
      return new TsgiError('TSGI_ERR_APP_UNSTABLE', `${this.name}: ${crash.detail}, within restart.min_uptime (${formatMs(this.config.restart.min_uptime)}); it is being restarted with backoff: see its log`);
    }
    const serving = this.serving();
    const settled = (w: WorkerRecord): boolean => w.state === 'ready' && w.readyAt !== null && this.lastNow - w.readyAt >= this.config.restart.min_uptime;
    return serving.length === this.target && serving.every(settled) ? null : undefined;
  }

  private startedOrFailed(): TsgiError | null | undefined {
    if (this.failedReason !== undefined) return new TsgiError('TSGI_ERR_APP_FAILED', `${this.name}: ${this.failedReason}`);
    const serving = this.serving();
    return serving.length === this.target && serving.every((w) => w.state === 'ready') ? null : undefined;
  }

  private settle(): void {
    if (this.pendings.length === 0) return;
    const still: Pending[] = [];
    for (const p of this.pendings) {
      const result = p.check();
      if (result === undefined) still.push(p);
      else if (result === null) p.resolve();
      else p.reject(result);
    }
    this.pendings = still;
  }

  // ---- reading ----

  /** True when no process of this pool is left. */
  get idle(): boolean {
    return this.workers.size === 0;
  }

  state(now: number): AppState {
    if (this.wanted === 'stopped') return this.workers.size > 0 ? 'stopping' : 'stopped';
    if (this.failedReason !== undefined) return 'failed';
    if (this.run !== undefined) return 'reloading';
    // a job is running while its schedule is on, whether a run goes now or not
    if (this.cron !== undefined) return 'running';
    const serving = this.serving();
    if (serving.length === this.target && this.routing.readyWorkers.length === this.target) return 'running';
    return this.failures.length > 0 || this.backoffUntil > now ? 'degraded' : 'starting';
  }

  status(now: number): AppStatus {
    return {
      name: this.name,
      state: this.state(now),
      balance: this.routing.balance.name,
      target: this.target,
      ready: this.routing.readyWorkers.length,
      generation: this.generation,
      restarts: this.restarts,
      listen: this.listening.length > 0 ? this.listening : this.config.listen.map(formatListen),
      pending_connections: this.routing.waiting,
      failed_reason: this.failedReason ?? null,
      retry_at: this.failedReason !== undefined && this.config.restart.retry_failed > 0 ? this.failedAt + this.config.restart.retry_failed : null,
      last_boot_error: this.lastBootError ?? null,
      last_exit: this.lastExit ?? null,
      recent_restarts: this.recentExits.toReversed(),
      requests_total: this.totals.requests.codes.reduce((a, b) => a + b, 0),
      workers: [...this.workers.values()].map((w) => w.status(now)),
      job: this.cron?.status() ?? null,
    };
  }

  /** Totals that survive worker replacement, and each live worker as the arbiter last saw it. */
  metrics(): AppMetricsView {
    const workers = [...this.workers.values()].map((w) => ({ id: w.id, requests: w.requests, codes: [...w.counts.codes], inflight: w.inflight, connections: w.connections, rss: w.rss, cpuSeconds: w.cpuSeconds }));
    return { name: this.name, target: this.target, ready: this.routing.readyWorkers.length, ...this.totals.snapshot(), workers };
  }

  /** One point of the app's history (arbiter/history.ts): what the pool holds, nothing copied but its last exits. */
  historyPoint(): HistoryPoint {
    return { name: this.name, requests: this.totals.requests, workers: [...this.workers.values()], recent_restarts: this.recentExits.toReversed() };
  }

  /** The stats sampler's list of whom to read: this pool's worker pids, added to `out`. */
  pidsInto(out: number[]): void {
    for (const w of this.workers.values()) if (w.pid !== undefined) out.push(w.pid);
  }

}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MB`;
}

/** scale-down order: a worker not yet ready is the cheapest to let go */
function rank(w: WorkerRecord): number {
  return w.state === 'starting' ? 0 : 1;
}
