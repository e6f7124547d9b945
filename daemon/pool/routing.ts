/**
 * Where one app's accepted connections go: to a ready worker chosen by the app's `balance` policy
 * (balance/: what the policy needs of a connection is learned first, then it picks), or held
 * until one is ready (up to `backlog`, for `hold_timeout`), or answered 503 (hold-503.ts) when the
 * app takes none. A connection sent to a worker stays the arbiter's until the worker's process
 * has it (Node's acknowledgement of a handle, which the worker's code need not send), so a worker
 * that dies in between does not lose it: it goes to another.
 */
import type { AppConfig } from '../config/index.js';
import type { Connection } from '../protocol.js';
import type { UnavailableReason } from './app-metrics.js';
import type { WorkerRecord } from './worker-record.js';
import { Balancer, type BalanceSettings } from './balance/balancer.js';
import type { ConnInfo } from './balance/policy.js';

export interface RouterDeps {
  /** the clock (ms), and random() in [0, 1): the coin of a worker's share while it ramps (slow start) */
  ops: { now(): number; random(): number };
  /** how many connections may wait for a ready worker (the app's backlog) */
  backlog(): number;
  /** why the app takes no connection at all (stopped, failed with no worker left), else undefined */
  refusal(): 'stopped' | 'failed' | undefined;
  /** answer a connection no worker can take: 503 with Retry-After, counted */
  unavailable(conn: Connection, reason: UnavailableReason): void;
}

/** what routing reads of the app's settings: its balance policy's, and how long a worker's share ramps up once ready */
export type RouterSettings = BalanceSettings & { slow_start: number };

/** An app that watches its files is being worked on: a save's new code answers at once, with no slow start. */
export function routerSettings(c: AppConfig): RouterSettings {
  return c.watch === false ? c : { ...c, slow_start: 0 };
}

interface Held {
  conn: Connection;
  info: ConnInfo;
  at: number;
}

export class Router {
  private ready: WorkerRecord[] = [];
  private held: Held[] = [];
  private nextConn = 1;
  /** connections sent to a worker that has not yet said it got them */
  private readonly unacked = new Map<number, { conn: Connection; info: ConnInfo; worker: WorkerRecord }>();
  /** per worker with a handle being sent: the connections picked for it since, in order (handTo) */
  private readonly sending = new Map<WorkerRecord, number[]>();
  private balancer: Balancer<WorkerRecord>;
  private settings: BalanceSettings;
  /** the app's slow_start (ms; 0 for an app that watches its files): a worker's share of new connections grows from 0 to whole over it once ready */
  private slowStartMs = 0;
  /** a reload's hand-over: these old workers' share falls from whole to 0 over slowStart from `from` */
  private leaving: { workers: ReadonlySet<WorkerRecord>; from: number } | undefined;
  /** until when some ready worker takes less than its whole share (0: none does, or a policy with affinity) */
  private rampUntil = 0;

  constructor(
    private readonly deps: RouterDeps,
    settings: RouterSettings,
  ) {
    this.settings = { ...settings };
    this.balancer = new Balancer(settings);
    this.slowStartMs = settings.slow_start;
  }

  /**
   * How long a worker's share of new connections ramps up once ready (ms): none under a policy with
   * affinity (ip-hash, sticky), where a client goes back to its worker whatever that worker's age.
   */
  get slowStart(): number {
    return this.balancer.affine ? 0 : this.slowStartMs;
  }

  /** The app's policy, to be told of heartbeats, sessions made and workers gone. */
  get balance(): Balancer<WorkerRecord> {
    return this.balancer;
  }

  /** New settings: a new balancer, its affinity tables empty, only when those it reads changed. */
  configure(settings: RouterSettings): void {
    this.slowStartMs = settings.slow_start;
    const was = this.settings;
    if (settings.balance !== was.balance || settings.header_timeout !== was.header_timeout || settings.limit_request_line !== was.limit_request_line || settings.backlog !== was.backlog) {
      this.settings = { ...settings };
      this.balancer = new Balancer(settings);
    }
    this.ramp();
  }

  /** The workers that take connections now. */
  get readyWorkers(): readonly WorkerRecord[] {
    return this.ready;
  }

  /** How many connections wait for a ready worker. */
  get waiting(): number {
    return this.held.length;
  }

  /** When the oldest waiting connection has waited `holdTimeout` (Infinity when none waits). */
  nextExpiry(holdTimeout: number): number {
    return this.held.length > 0 ? this.held[0]!.at + holdTimeout : Infinity;
  }

  /** The pool's say on who takes connections; waiting ones go to them at once. */
  setReady(workers: WorkerRecord[]): void {
    this.ready = workers;
    this.ramp();
  }

  /**
   * A reload's new workers are all ready: `old` (undefined: the hand-over is over) give way to them
   * over slow_start, their share of new connections falling as the new ones' grows (pool-reload.ts).
   */
  handOver(old: readonly WorkerRecord[] | undefined, now: number): void {
    this.leaving = old === undefined ? undefined : { workers: new Set(old), from: now };
    this.ramp();
  }

  /**
   * When the shares are whole again: a young worker's once it has been ready slow_start, the
   * leaving ones' never before their drain. Only while a warm worker is there to take the rest:
   * workers that all started together (the app's start) share alike from the first connection.
   */
  private ramp(): void {
    let until = 0;
    const span = this.slowStart;
    if (span > 0) {
      const now = this.deps.ops.now();
      const warm = this.leaving !== undefined || this.ready.some((w) => w.readyAt !== null && now - w.readyAt >= span);
      if (warm) for (const w of this.ready) if (w.readyAt !== null) until = Math.max(until, w.readyAt + span);
      if (this.leaving !== undefined) until = Infinity;
    }
    this.rampUntil = until;
  }

  /** A worker's share of new connections now, 0 to 1 (slow start, hand-over). */
  private share(w: WorkerRecord, now: number): number {
    if (this.leaving?.workers.has(w)) return 1 - (now - this.leaving.from) / this.slowStartMs;
    return w.readyAt === null ? 1 : (now - w.readyAt) / this.slowStartMs;
  }

  /**
   * The workers that may take this connection: each ramping one by a coin weighted by its share,
   * so over many connections its part grows with it (nginx's slow_start, HAProxy's slowstart);
   * the app's policy picks among them. All of them when every coin fell against.
   */
  private candidates(): readonly WorkerRecord[] {
    if (this.rampUntil === 0) return this.ready;
    const now = this.deps.ops.now();
    if (now >= this.rampUntil) {
      this.rampUntil = 0;
      return this.ready;
    }
    const some = this.ready.filter((w) => {
      const s = this.share(w, now);
      return s >= 1 || this.deps.ops.random() < s;
    });
    return some.length > 0 ? some : this.ready;
  }

  accept(conn: Connection): void {
    const refused = this.deps.refusal();
    if (refused !== undefined) {
      this.deps.unavailable(conn, refused);
      return;
    }
    this.balancer.admit(conn, this.routeTo);
  }

  /** one function for every connection, not a closure per accept */
  private readonly routeTo = (conn: Connection, info: ConnInfo): void => this.route(conn, info);

  /** `info`: what the balancer learned of the connection (its address, its session and the bytes read for it) */
  private route(conn: Connection, info: ConnInfo): void {
    // asked again: a sticky app's connection was read first, during which the app may have stopped
    const refused = this.deps.refusal();
    if (refused !== undefined) {
      this.deps.unavailable(conn, refused);
      return;
    }
    if (this.ready.length > 0) this.handTo(this.balancer.pick(this.candidates(), info), conn, info);
    // a full queue is answered at once rather than reset
    else if (this.held.length >= this.deps.backlog()) this.deps.unavailable(conn, 'queue_full');
    else this.held.push({ conn, info, at: this.deps.ops.now() });
  }

  /** A worker became ready: the waiting connections go to the ready workers. */
  flushHeld(): void {
    while (this.held.length > 0 && this.ready.length > 0) {
      const { conn, info } = this.held.shift()!;
      this.handTo(this.balancer.pick(this.ready, info), conn, info);
    }
  }

  /** Connections that waited hold_timeout for a ready worker get a 503 rather than wait on. */
  expireHeld(now: number, holdTimeout: number): void {
    while (this.held.length > 0 && now - this.held[0]!.at >= holdTimeout) this.deps.unavailable(this.held.shift()!.conn, 'hold_timeout');
  }

  /** The app takes no connection any more: every waiting one is answered. */
  dropHeld(reason: 'stopped' | 'failed'): void {
    const held = this.held;
    this.held = [];
    for (const { conn } of held) this.deps.unavailable(conn, reason);
  }

  /**
   * The worker says it took these connections (its `got`, sent by a least-connections worker with
   * its count): those its process has not yet acknowledged are taken now.
   */
  acknowledged(w: WorkerRecord, ids: number[]): void {
    for (const id of ids) this.taken(w, id);
  }

  /** The worker holds the connection: close the arbiter's copy (the connection lives on in it). */
  private taken(w: WorkerRecord, id: number): void {
    const entry = this.unacked.get(id);
    // only its own: a copy another worker has not taken yet is what redelivers it if that one dies
    if (entry === undefined || entry.worker !== w) return;
    this.unacked.delete(id);
    entry.conn.close();
  }

  /** The worker is gone: what it had not taken goes to another. */
  redeliverAll(worker: WorkerRecord): void {
    for (const [id, entry] of this.unacked) if (entry.worker === worker) this.redeliver(id);
    this.sending.delete(worker);
  }

  /**
   * One handle in flight per worker, the next sent once the last is written: node:child_process
   * sends one handle per acknowledgement and, on each, re-sends its whole waiting queue (all but
   * one go back in a new queue), so k connections queued there for one worker cost k² sends.
   * node:cluster's round-robin also hands a worker its next connection only after the last.
   */
  private handTo(worker: WorkerRecord, conn: Connection, info: ConnInfo): void {
    const id = this.nextConn++;
    this.unacked.set(id, { conn, info, worker });
    const queued = this.sending.get(worker);
    if (queued !== undefined) queued.push(id);
    else {
      this.sending.set(worker, []);
      this.send(worker, id);
    }
  }

  private send(worker: WorkerRecord, id: number): void {
    const { conn, info } = this.unacked.get(id)!;
    // the bytes read for a sticky app go with the handle; nothing is added for the others
    const msg = info.head === undefined ? { t: 'conn' as const, id } : { t: 'conn' as const, id, head: info.head.toString('base64') };
    const sent = worker.proc.send(
      msg,
      conn,
      (err) => {
        if (err !== null) this.redeliver(id);
        this.sendNext(worker);
      },
      () => this.taken(worker, id),
    );
    if (sent) return;
    // the channel is closed: `done` will not be called
    this.redeliver(id);
    this.sendNext(worker);
  }

  /**
   * The worker's next queued connection that is still its own, if any. One that waited its turn
   * while the worker was told to drain goes to another: sent now, it would reach a worker that may
   * be exiting, its process would acknowledge it, and it would be cut unanswered.
   */
  private sendNext(worker: WorkerRecord): void {
    const queued = this.sending.get(worker);
    if (queued === undefined) return;
    for (let id = queued.shift(); id !== undefined; id = queued.shift()) {
      if (this.unacked.get(id)?.worker !== worker) continue;
      if (worker.takesConnections) return this.send(worker, id);
      this.redeliver(id);
    }
    this.sending.delete(worker);
  }

  /**
   * The worker died between pick and delivery (its exit may not be reaped yet): give the
   * connection to another. What the arbiter read of it (sticky) goes along again, so the client
   * loses nothing; it is not read twice.
   */
  private redeliver(id: number): void {
    const entry = this.unacked.get(id);
    if (entry === undefined) return;
    this.unacked.delete(id);
    this.ready = this.ready.filter((w) => w !== entry.worker);
    this.route(entry.conn, entry.info);
  }
}
