/**
 * One app's live workers, as its pool keeps them: each spawned with its environment (worker-env.ts)
 * and spec (worker-spec.ts), its output piped to the log, its IPC messages acted on
 * (worker-messages.ts; the socket.io adapter's relayed, adapter-relay.ts), reaped when it exits;
 * drained, killed or recycled when the pool's tick says so. After each change routing.ts is told
 * which of them take connections.
 */
import type { AppConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { ProcessOps, ProcStats } from '../os/process-ops.js';
import { pipeLines } from '../os/lines.js';
import type { BootPacer } from '../arbiter/boot-pacer.js';
import { AdapterRelay, isAdapterMessage } from './adapter-relay.js';
import type { AppMetricsTotals } from './app-metrics.js';
import type { Router } from './routing.js';
import { describeMessage, parseWorkerMessage } from './worker-messages.js';
import { buildWorkerEnv, NOTHING_WITHHELD, redact, type Withheld, type WorkerEnv } from './worker-env.js';
import { WorkerRecord, type WorkerEvent } from './worker-record.js';
import { workerSpec } from './worker-spec.js';
import type { ExitReason, WorkerState } from './worker-state.js';

/** SIGKILL follows SIGTERM this long after, for a worker that does not go by itself */
const KILL_GRACE_MS = 1000;

/** What the live workers need of their pool. */
export interface WorkersHost {
  config(): AppConfig;
  ops: ProcessOps;
  log: Logger;
  emit(e: WorkerEvent): void;
  /** ask the arbiter for a tick soon */
  changed(): void;
  /** what of tsgid's environment this app's workers must not get */
  withheld?(app: string): Withheld;
  pacer: BootPacer;
  routing: Router;
  totals: AppMetricsTotals;
  /** no worker could be started (its env_file is unreadable) */
  spawnFailed(generation: number, reason: string, now: number): void;
  /** a worker ended in `to` and was reaped here; what that means for the app is the pool's */
  exited(w: WorkerRecord, to: WorkerState, code: number | null, signal: NodeJS.Signals | null, now: number): void;
}

export class PoolWorkers {
  private readonly live = new Map<number, WorkerRecord>();
  /** per worker: the values of its env and env_file, redacted from what it reports */
  private readonly secrets = new Map<number, readonly string[]>();
  /** socket.io cluster-adapter messages between this app's workers */
  private readonly relay: AdapterRelay<WorkerRecord>;
  private nextId = 1;

  constructor(private readonly host: WorkersHost) {
    this.relay = new AdapterRelay(host.config().name, (line) => host.log.warn(line), () => host.config().relay_max_message);
  }

  private get name(): string {
    return this.host.config().name;
  }

  get size(): number {
    return this.live.size;
  }

  get(id: number): WorkerRecord | undefined {
    return this.live.get(id);
  }

  ids(): number[] {
    return [...this.live.keys()];
  }

  values(): IterableIterator<WorkerRecord> {
    return this.live.values();
  }

  /** the workers that serve or will: starting or ready */
  serving(): WorkerRecord[] {
    return [...this.live.values()].filter((w) => w.state === 'starting' || w.state === 'ready');
  }

  /** the id the next spawned worker gets */
  get next(): number {
    return this.nextId;
  }

  /** Spawn up to `n` workers, as many as the boot pacer has slots for; a freed slot asks for a tick. */
  spawnUpTo(n: number, generation: number, now: number): void {
    for (let i = 0; i < n && this.host.pacer.take(); i++) {
      // no worker could be started (its env_file is unreadable): its slot goes back, and no more this tick
      if (!this.spawn(generation, now)) {
        this.host.pacer.release();
        break;
      }
    }
  }

  /** false when no worker could be started (its env_file is unreadable): the caller stops asking for more this tick */
  spawn(generation: number, now: number): boolean {
    const { host } = this;
    const c = host.config();
    let built: WorkerEnv;
    try {
      built = buildWorkerEnv(c, process.env, host.withheld?.(c.name) ?? NOTHING_WITHHELD);
    } catch (err) {
      host.spawnFailed(generation, `apps.${c.name}.env_file: ${(err as Error).message}`, now);
      return false;
    }
    const id = this.nextId++;
    const spec = workerSpec(c, id, () => host.ops.random());
    const proc = host.ops.spawn(spec, built.env);
    // the boot slot goes back when the worker leaves `starting`, whichever way
    const emit = (e: WorkerEvent): void => {
      if (e.from === 'starting' && e.to !== 'starting') {
        host.pacer.release();
        host.changed();
      }
      host.emit(e);
    };
    const w = new WorkerRecord(c.name, id, generation, proc, now, emit);
    this.live.set(id, w);
    this.secrets.set(id, built.secrets);
    if (proc.stdout) pipeLines(proc.stdout, (line) => host.log.worker(c.name, id, 'out', line));
    if (proc.stderr) pipeLines(proc.stderr, (line) => host.log.worker(c.name, id, 'err', line));
    proc.onMessage((msg) => this.onMessage(w, msg));
    proc.onExit((code, signal) => this.onExit(w, code, signal));
    host.emit({ type: 'worker', app: c.name, worker: id, pid: proc.pid, from: 'starting', to: 'starting', at: now });
    return true;
  }

  ready(w: WorkerRecord, now: number): void {
    w.transition('ready', now);
    this.refreshReady();
    this.host.routing.flushHeld();
  }

  drain(w: WorkerRecord, reason: ExitReason, now: number): void {
    if (w.state === 'draining') return;
    w.drain(reason, now, now + this.host.config().graceful_timeout + KILL_GRACE_MS);
    this.refreshReady();
  }

  /** SIGTERM now, SIGKILL after a grace; it takes no more connections meanwhile, they go to its siblings. */
  terminate(w: WorkerRecord, reason: ExitReason, now: number): void {
    w.terminate(reason, now + KILL_GRACE_MS);
    this.refreshReady();
  }

  kill(w: WorkerRecord): void {
    w.kill();
    this.refreshReady();
  }

  /** Replace a worker gracefully (max_requests, max_memory): a new one boots, then this one drains. */
  retire(w: WorkerRecord, reason: ExitReason, detail: string): void {
    if (!w.retire(reason)) return;
    this.host.log.info(`${this.name}: recycling worker ${w.id} (pid ${w.pid}): ${detail}`);
    this.host.changed();
  }

  /**
   * An idle worker touches its alive file instead of sending heartbeats (os/alive-file.ts): the
   * files are read only when some ready worker's last message is older than `timeout`, and then
   * all of them, so the next such moment is about `timeout` away again: one wake-up per pool per
   * `timeout`, not one per worker.
   */
  lookAlive(now: number, timeout: number): void {
    let due = false;
    for (const w of this.values()) if (w.state === 'ready' && now - w.lastSeen > timeout) due = true;
    if (due) for (const w of this.values()) if (w.state === 'ready') w.lookAlive();
  }

  /** Fresh figures from the daemon's one sampler; a worker over max_memory is recycled. */
  sampled(stats: ReadonlyMap<number, ProcStats>): void {
    const limit = this.host.config().max_memory;
    for (const w of this.live.values()) {
      const st = w.pid === undefined ? undefined : stats.get(w.pid);
      // a booting worker's figures may be its exec's (a read just after the fork: 0 or a few hundred
      // KB), which would stand as its own until the next read: they count from ready on
      if (st === undefined || w.state === 'starting') continue;
      w.rss = st.rss;
      w.cpu = st.cpu;
      w.cpuSeconds = st.cpuSeconds ?? null;
      if (limit > 0 && st.rss > limit) this.retire(w, 'max_memory', `rss ${mb(st.rss)} over max_memory ${mb(limit)}`);
    }
  }

  private refreshReady(): void {
    // a worker being killed stays 'ready' until reaped, but takes no more connections
    this.host.routing.setReady([...this.live.values()].filter((w) => w.takesConnections));
  }

  private onMessage(w: WorkerRecord, raw: unknown): void {
    // the app's own messages, its adapter's: checked first, they are most of what a busy socket.io app sends
    if (isAdapterMessage(raw)) {
      this.relay.relay(w, raw, this.live.values());
      return;
    }
    const msg = parseWorkerMessage(raw);
    if (msg === undefined) {
      // the app's own process.send(): told once per worker, so a loop of them cannot flood the log
      if (w.sentMalformed()) this.host.log.warn(`${this.name}: worker ${w.id} sent a message that is not tsgi's; ignored, as any more will be: ${describeMessage(raw)}`);
      return;
    }
    const now = this.host.ops.now();
    w.heard(now);
    switch (msg.t) {
      case 'ready':
        if (w.state !== 'starting') return;
        this.ready(w, now);
        break;
      case 'boot-error': {
        // the app's own message may quote its secrets (a connection string): every reader of
        // bootError (status, API, dashboard, this log) gets it redacted
        const secrets = this.secrets.get(w.id) ?? [];
        w.bootFailed(redact(msg.message, secrets));
        this.host.log.error(`${this.name}: worker ${w.id} failed to boot: ${redact(msg.stack ?? msg.message, secrets)}`);
        break;
      }
      case 'retire':
        this.retire(w, msg.reason, `served ${w.requests > 0 ? w.requests : 'its'} max_requests`);
        return;
      case 'got':
        this.host.routing.acknowledged(w, msg.ids);
        if (msg.connections !== undefined) {
          w.connections = msg.connections;
          this.host.routing.balance.reported(w);
        }
        return;
      case 'sid':
        this.host.routing.balance.learned(w, msg.sid);
        return;
      case 'access':
        this.host.log.access(this.name, msg.lines);
        return;
      case 'hb':
        w.requests = msg.requests;
        w.inflight = msg.inflight;
        w.connections = msg.connections;
        this.host.routing.balance.reported(w);
        this.host.totals.report(w.counts, msg);
        return; // a heartbeat changes nothing the tick acts on
    }
    this.host.changed();
  }

  private onExit(w: WorkerRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const now = this.host.ops.now();
    const to = w.exited(code, signal, now);
    this.host.totals.exited(w.reason);
    this.live.delete(w.id);
    this.secrets.delete(w.id);
    this.host.routing.balance.forget(w);
    this.relay.forget(w);
    this.refreshReady();
    this.host.routing.redeliverAll(w);
    this.host.exited(w, to, code, signal, now);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MB`;
}
