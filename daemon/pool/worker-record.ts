/**
 * The arbiter's view of one worker process: its state, counters and exit.
 * Every change of state goes through `transition()`, which checks the move against
 * WORKER_MOVES and emits one event; nothing else assigns `state`. Its deadlines and flags
 * (a kill due, killed, retiring, the drain deadline, why it went) are private too, each set by
 * one method named for the event (`terminate`, `kill`, `retire`, `drain`, `exited`).
 */
import type { WorkerProcess } from '../os/process-ops.js';
import { EXIT_APP_LOAD_ERROR } from '../protocol.js';
import { externalKill } from './restart-policy.js';
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
  private current: WorkerState = 'starting';
  readonly startedAt: number;
  private readyTime: number | null = null;
  private heardAt: number;
  private why: ExitReason | undefined;
  private bootFailure: string | undefined;
  private sharedBootTimeout = false;
  private killDue: number | undefined;
  private sigkilled = false;
  private drainDue: number | undefined;
  private retireFor: ExitReason | undefined;
  private code: number | null = null;
  private signal: NodeJS.Signals | null = null;
  private malformedSeen = false;
  requests = 0;
  inflight = 0;
  connections = 0;
  rss: number | null = null;
  cpu: number | null = null;
  /** user + system CPU time, from the latest sample */
  cpuSeconds: number | null = null;
  /** its latest reported responses by status class and durations (metrics) */
  readonly counts: RequestCounts = emptyCounts();

  constructor(
    readonly app: string,
    readonly id: number,
    readonly generation: number,
    readonly proc: WorkerProcess,
    now: number,
    private readonly emit: (e: WorkerEvent) => void,
  ) {
    this.startedAt = now;
    this.heardAt = now;
  }

  // ---- what the pool reads; each is set in one place below ----

  get state(): WorkerState {
    return this.current;
  }

  get readyAt(): number | null {
    return this.readyTime;
  }

  /** when it last sent anything (or, as of the last lookAlive, touched its alive file) */
  get lastSeen(): number {
    return this.heardAt;
  }

  /** why we asked it to go (drain) or killed it; read when it exits */
  get reason(): ExitReason | undefined {
    return this.why;
  }

  get bootError(): string | undefined {
    return this.bootFailure;
  }

  /** it hit boot_timeout while other workers were booting too (not counted as the app's crash) */
  get bootTimeoutShared(): boolean {
    return this.sharedBootTimeout;
  }

  /** when set, SIGKILL is due at this time (SIGTERM was sent) */
  get killAt(): number | undefined {
    return this.killDue;
  }

  /** SIGKILL was sent: nothing is left to do but reap it */
  get killed(): boolean {
    return this.sigkilled;
  }

  /** while draining: when it is killed if it has not gone */
  get drainDeadline(): number | undefined {
    return this.drainDue;
  }

  /** set when the worker should be replaced gracefully: a new one first, then this one drains */
  get retiring(): ExitReason | undefined {
    return this.retireFor;
  }

  get exitCode(): number | null {
    return this.code;
  }

  get exitSignal(): NodeJS.Signals | null {
    return this.signal;
  }

  /** ready and not being killed: it takes connections (one being killed stays 'ready' until reaped) */
  get takesConnections(): boolean {
    return this.current === 'ready' && this.killDue === undefined && !this.sigkilled;
  }

  // ---- the only writers ----

  /** It sent a message (any: a heartbeat, ready, an acknowledgement). */
  heard(now: number): void {
    this.heardAt = now;
  }

  /** Its alive file says it ran more recently than its last message (os/alive-file.ts): that counts as heard. */
  lookAlive(): void {
    const at = this.proc.aliveAt?.();
    if (at !== undefined && at > this.heardAt) this.heardAt = at;
  }

  /** It sent something that is not a tsgi message; true the first time only (logged once). */
  sentMalformed(): boolean {
    const first = !this.malformedSeen;
    this.malformedSeen = true;
    return first;
  }

  /** The app did not load (its message, already redacted). */
  bootFailed(message: string): void {
    this.bootFailure = message;
  }

  /** Not ready within boot_timeout (the pool kills it next). `shared`: other workers were booting beside it. */
  bootTimedOut(message: string, shared: boolean): void {
    this.bootFailure = message;
    this.why = 'boot-timeout';
    this.sharedBootTimeout = shared;
  }

  /** Replace it gracefully (max_requests, max_memory, the admin API); false if it is not a ready worker, or already retiring. */
  retire(reason: ExitReason): boolean {
    if (this.current !== 'ready' || this.retireFor !== undefined) return false;
    this.retireFor = reason;
    return true;
  }

  /** Hung (no heartbeat within timeout): SIGTERM now, SIGKILL at `at` if it is still there. */
  terminate(reason: ExitReason, at: number): void {
    this.why = reason;
    this.proc.kill('SIGTERM');
    this.killDue = at;
  }

  /** SIGKILL: final; all that is left is to reap it. */
  kill(): void {
    this.proc.kill('SIGKILL');
    this.sigkilled = true;
    this.killDue = undefined;
  }

  /** Ask it to finish its in-flight requests and go; killed if it is still there at `deadline`. */
  drain(reason: ExitReason, now: number, deadline: number): void {
    this.transition('draining', now, reason);
    this.drainDue = deadline;
    if (!this.proc.send({ t: 'drain' })) this.proc.kill('SIGTERM');
  }

  /** Reaped: the state it ends in (stopped if we asked it to go, failed if it never booted, else crashed). */
  exited(code: number | null, signal: NodeJS.Signals | null, now: number): WorkerState {
    this.code = code;
    this.signal = signal;
    const bootFailed = this.current === 'starting' && (this.bootFailure !== undefined || code === EXIT_APP_LOAD_ERROR);
    const to: WorkerState = this.current === 'draining' ? 'stopped' : bootFailed ? 'failed' : 'crashed';
    if (to === 'failed') this.bootFailure ??= `exited with code ${code} before it was ready`;
    if (to === 'crashed' && this.why === undefined && externalKill(signal)) this.why = 'killed';
    this.transition(to, now, to === 'failed' ? (this.why ?? 'boot-error') : to === 'crashed' ? (this.why ?? 'crash') : undefined);
    this.drainDue = undefined;
    return to;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The one place `state` changes: checked against WORKER_MOVES, and one event emitted. */
  transition(to: WorkerState, now: number, reason?: ExitReason): void {
    const from = this.state;
    if (!canMove(from, to)) throw new Error(`worker ${this.app}:${this.id} cannot move ${from} → ${to}`);
    this.current = to;
    if (to === 'ready') this.readyTime = now;
    if (reason !== undefined) this.why = reason;
    this.emit({ type: 'worker', app: this.app, worker: this.id, pid: this.pid, from, to, reason: this.why, at: now });
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
      retiring: this.retireFor ?? null,
    };
  }
}
