/**
 * The arbiter's view of one worker process: its state, counters and exit.
 * Every change of state goes through `transition()`, which checks the move against
 * WORKER_MOVES and emits one event; nothing else assigns `state`.
 */
import type { WorkerProcess } from '../os/process-ops.js';
import { canMove, type ExitReason, type WorkerState } from './worker-state.js';
import { emptyCounts, type RequestCounts } from './request-stats.js';

export interface WorkerEvent {
  type: 'worker';
  app: string;
  worker: number;
  pid: number | undefined;
  from: WorkerState;
  to: WorkerState;
  reason?: ExitReason;
  at: number;
}

export interface WorkerStatus {
  id: number;
  pid: number | undefined;
  generation: number;
  state: WorkerState;
  started_at: number;
  ready_at: number | null;
  uptime_ms: number;
  requests: number;
  inflight: number;
  connections: number;
  rss: number | null;
  cpu: number | null;
  retiring: ExitReason | null;
}

export class WorkerRecord {
  state: WorkerState = 'starting';
  readonly startedAt: number;
  readyAt: number | null = null;
  lastSeen: number;
  /** why we asked it to go (drain) or killed it; read when it exits */
  reason: ExitReason | undefined;
  bootError: string | undefined;
  /** it hit boot_timeout while other workers were booting too (not counted as the app's crash) */
  bootTimeoutShared = false;
  /** when set, SIGKILL is due at this time */
  killAt: number | undefined;
  /** SIGKILL was sent: nothing is left to do but reap it */
  killed = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  requests = 0;
  inflight = 0;
  connections = 0;
  rss: number | null = null;
  cpu: number | null = null;
  /** user + system CPU time, from the latest sample */
  cpuSeconds: number | null = null;
  /** its latest reported responses by status class and durations (metrics) */
  readonly counts: RequestCounts = emptyCounts();
  /** set when the worker should be replaced gracefully: a new one first, then this one drains */
  retiring: ExitReason | undefined;
  /** it sent something on its channel that is not a tsgi message (its app's own process.send), and that was logged */
  sentMalformed = false;

  constructor(
    readonly app: string,
    readonly id: number,
    readonly generation: number,
    readonly proc: WorkerProcess,
    now: number,
    private readonly emit: (e: WorkerEvent) => void,
  ) {
    this.startedAt = now;
    this.lastSeen = now;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  transition(to: WorkerState, now: number, reason?: ExitReason): void {
    const from = this.state;
    if (!canMove(from, to)) throw new Error(`worker ${this.app}:${this.id} cannot move ${from} → ${to}`);
    this.state = to;
    if (to === 'ready') this.readyAt = now;
    if (reason !== undefined) this.reason = reason;
    this.emit({ type: 'worker', app: this.app, worker: this.id, pid: this.pid, from, to, reason: this.reason, at: now });
  }

  status(now: number): WorkerStatus {
    return {
      id: this.id,
      pid: this.pid,
      generation: this.generation,
      state: this.state,
      started_at: this.startedAt,
      ready_at: this.readyAt,
      uptime_ms: now - this.startedAt,
      requests: this.requests,
      inflight: this.inflight,
      connections: this.connections,
      rss: this.rss,
      cpu: this.cpu,
      retiring: this.retiring ?? null,
    };
  }
}
