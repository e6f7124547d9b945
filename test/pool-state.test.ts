/**
 * The pool's state machine with the OS boundary faked: spawn, signals and the clock are driven
 * by the test, so every move (ready, crash, backoff, give-up, rolling reload, abandon) is checked
 * without a process.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppPool } from '../daemon/pool/app-pool.js';
import { parseAppInput, parsedDefault, topSection, type AppConfig } from '../daemon/config/index.js';
import { BootPacer } from '../daemon/arbiter/boot-pacer.js';
import type { Unavailable } from '../daemon/pool/hold-503.js';
import type { Connection } from '../daemon/protocol.js';
import { silentLogger } from '../daemon/log.js';
import type { ProcessOps, WorkerProcess } from '../daemon/os/process-ops.js';
import type { WorkerSpec } from '../daemon/protocol.js';
import { decideRestart } from '../daemon/pool/restart-policy.js';
import type { WorkerEvent } from '../daemon/pool/worker-record.js';
import { canMove, WORKER_MOVES } from '../daemon/pool/worker-state.js';

class FakeProc extends EventEmitter implements WorkerProcess {
  static nextPid = 1000;
  readonly pid = FakeProc.nextPid++;
  readonly stdout = null;
  readonly stderr = null;
  readonly sent: unknown[] = [];
  readonly signals: string[] = [];
  alive = true;
  constructor(readonly spec: WorkerSpec) {
    super();
  }
  /** per handle sent, in order: what Node's NODE_HANDLE_ACK from the worker's process would call */
  readonly taken: Array<() => void> = [];
  send(msg: unknown, conn?: unknown, done?: (err: Error | null) => void, taken?: () => void): boolean {
    this.sent.push(msg);
    if (this.alive && conn !== undefined && taken !== undefined) this.taken.push(taken);
    // as child_process does: `done` once written; never for a closed channel (false)
    if (this.alive && done !== undefined) process.nextTick(done, null);
    return this.alive;
  }
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
  }
  onMessage(fn: (m: unknown) => void): void {
    this.on('message', fn);
  }
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.once('exit', fn);
  }
  ready(): void {
    this.emit('message', { t: 'ready' });
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.alive = false;
    this.emit('exit', code, signal);
  }
}

/** A turn for the fake's `done` callbacks (a write completing): the next queued handle goes then. */
const written = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const FIXTURE_APPS = fileURLToPath(new URL('../../test/fixtures/apps/', import.meta.url));

/** The app as tsgid parses it: every setting the tests do not name has its declared default (the limits among them). */
function appConfig(overrides: Partial<AppConfig>): AppConfig {
  const input = {
    app: './node-listener.mjs',
    listen: '127.0.0.1:0',
    workers: 2,
    graceful_timeout: '5s',
    boot_timeout: '3s',
    timeout: '10s',
    restart: { backoff_initial: '100ms', backoff_max: '1s', max_failures: 3, window: '60s', min_uptime: '1s', retry_failed: '120s' },
    hold_timeout: '5s',
  };
  return { ...parseAppInput('web', input, FIXTURE_APPS, parsedDefault(topSection.fields.max_workers)), ...overrides };
}

/** Two workers of a round-robin app, both ready: where the routing tests start. */
function readyPair() {
  const h = harness({ workers: 2, balance: 'round-robin' });
  h.tick();
  h.procs.forEach((p) => p.ready());
  h.tick();
  return h;
}

/** The connections a worker was sent so far. */
function conns(p: FakeProc): number {
  return p.sent.filter((m) => (m as { t: string }).t === 'conn').length;
}

/** Stand-ins for accepted connections, which only say whether the arbiter closed its copy. */
function fakeSockets(n: number): Array<{ closed: boolean; close(): void }> {
  return Array.from({ length: n }, () => ({ closed: false as boolean, close() { this.closed = true; } }));
}

function harness(overrides: Partial<AppConfig> = {}, shared: { pacer?: BootPacer; clock?: { now: number } } = {}) {
  const clock = shared.clock ?? { now: 1_000_000 };
  const procs: FakeProc[] = [];
  const events: WorkerEvent[] = [];
  const errors: string[] = [];
  const answered: Array<{ conn: Connection; u: Unavailable }> = [];
  const ops: ProcessOps = {
    spawn: (spec) => {
      const p = new FakeProc(spec);
      procs.push(p);
      return p;
    },
    now: () => clock.now,
    random: () => 0.5,
    stats: async () => new Map(),
  };
  const config = appConfig(overrides);
  const log = { ...silentLogger, error: (m: string) => errors.push(m) };
  const pool = new AppPool(config, { ops, log, emit: (e) => events.push(e), changed: () => {}, pacer: shared.pacer, unavailable: (conn, u) => answered.push({ conn, u }) });
  const tick = (advance = 0) => {
    clock.now += advance;
    pool.reconcile(clock.now);
  };
  const live = () => procs.filter((p) => p.alive);
  return { pool, procs, events, errors, answered, tick, live, now: () => clock.now, status: () => pool.status(clock.now), advance: (ms: number) => (clock.now += ms) };
}

describe('worker states', () => {
  it('allows only the moves in the table', () => {
    assert.ok(canMove('starting', 'ready'));
    assert.ok(canMove('ready', 'draining'));
    assert.ok(!canMove('ready', 'starting'));
    assert.ok(!canMove('stopped', 'ready'));
    for (const final of ['stopped', 'crashed', 'failed'] as const) assert.deepEqual(WORKER_MOVES[final], []);
  });
});

describe('restart policy', () => {
  const s = { backoff_initial: 100, backoff_max: 1000, max_failures: 4, window: 10_000, min_uptime: 1000 };
  it('restarts at once, then backs off exponentially, then gives up', () => {
    let failures: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = decideRestart(s, failures, 1000 + i, 0);
      failures = r.failures;
      delays.push(r.decision.kind === 'restart' ? r.decision.delay : -1);
    }
    assert.deepEqual(delays, [0, 100, 200, -1]);
  });
  it('caps the delay at backoff_max', () => {
    const r = decideRestart({ ...s, max_failures: 100 }, Array.from({ length: 20 }, (_, i) => i), 50, 0);
    assert.deepEqual(r.decision, { kind: 'restart', delay: 1000, failures: 21 });
  });
  it('forgets failures older than the window', () => {
    const r = decideRestart(s, [0, 1, 2], 20_000, 0);
    assert.equal(r.decision.kind, 'restart');
    assert.deepEqual(r.failures, [20_000]);
  });
  it('does not count a worker that served past min_uptime', () => {
    const r = decideRestart(s, [1, 2, 3], 5000, 1000);
    assert.deepEqual(r.decision, { kind: 'restart', delay: 0, failures: 0 });
    assert.deepEqual(r.failures, [1, 2, 3]);
  });
});

describe('app pool', () => {
  it('spawns its target and runs once every worker is ready', () => {
    const h = harness();
    h.tick();
    assert.equal(h.procs.length, 2);
    assert.equal(h.status().state, 'starting');
    h.procs.forEach((p) => p.ready());
    h.tick();
    assert.equal(h.status().state, 'running');
    assert.deepEqual(h.events.filter((e) => e.to === 'ready').map((e) => e.worker), [1, 2]);
  });

  it('replaces a long-lived worker at once and a quickly dying one with backoff', () => {
    const h = harness();
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick(5000);
    h.procs[0]!.exit(null, 'SIGKILL');
    h.tick();
    assert.equal(h.procs.length, 3, 'replaced at once');
    assert.equal(h.status().state, 'starting');
    h.procs[2]!.ready();
    h.tick(10);
    h.procs[2]!.exit(1); // dies 10 ms after ready: counts
    h.tick();
    assert.equal(h.procs.length, 4, 'first counted failure restarts at once');
    h.procs[3]!.ready();
    h.procs[3]!.exit(1);
    h.tick();
    assert.equal(h.procs.length, 4, 'second waits backoff_initial');
    assert.equal(h.status().state, 'degraded');
    h.tick(100);
    assert.equal(h.procs.length, 5);
  });

  it('marks the app failed after max_failures and spawns no more', () => {
    const h = harness({ workers: 1 });
    h.tick();
    for (let i = 0; i < 3; i++) {
      const p = h.procs.at(-1)!;
      p.ready();
      p.exit(1);
      h.tick(1000);
    }
    assert.equal(h.status().state, 'failed');
    assert.match(h.status().failed_reason!, /crash loop: 3 failures/);
    const spawned = h.procs.length;
    h.tick(60_000);
    assert.equal(h.procs.length, spawned);
  });

  it('fails at once, without looping, when the code does not load', () => {
    const h = harness({ workers: 1 });
    h.tick();
    h.procs[0]!.emit('message', { t: 'boot-error', message: 'SyntaxError: Unexpected token' });
    h.procs[0]!.exit(4);
    h.tick(1000);
    assert.equal(h.status().state, 'failed');
    assert.equal(h.status().last_boot_error, 'SyntaxError: Unexpected token');
    assert.equal(h.procs.length, 1);
  });

  it('kills a worker not ready within boot_timeout', () => {
    const h = harness({ workers: 1 });
    h.tick();
    h.tick(3001);
    assert.deepEqual(h.procs[0]!.signals, ['SIGKILL']);
    h.procs[0]!.exit(null, 'SIGKILL');
    h.tick();
    // not proof that the code does not load (a busy host): counted toward a crash loop, retried
    assert.equal(h.status().state, 'degraded');
    assert.equal(h.status().last_exit?.reason, 'boot-timeout');
    assert.match(h.status().last_boot_error!, /boot_timeout/);
    assert.equal(h.procs.length, 2, 'the first counted failure is retried at once');
    assert.equal(h.pool.metrics().restarts['boot-timeout'], 1);
  });

  it('kills a ready worker whose heartbeat stops: SIGTERM, then SIGKILL', () => {
    const h = harness({ workers: 1 });
    h.tick();
    h.procs[0]!.ready();
    h.tick(10_001);
    assert.deepEqual(h.procs[0]!.signals, ['SIGTERM']);
    h.tick(1000);
    assert.deepEqual(h.procs[0]!.signals, ['SIGTERM', 'SIGKILL']);
  });

  it('rolls a reload: old workers drain only after every new one is ready', async () => {
    // at once, with no slow_start: the hand-over that comes between is tested below
    const h = harness({ slow_start: 0 });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick(2000);
    const done = h.pool.reload();
    h.tick();
    assert.equal(h.procs.length, 4, 'two new workers booting beside the old two');
    assert.equal(h.status().state, 'reloading');
    h.procs[2]!.ready();
    h.tick();
    assert.deepEqual(h.procs[0]!.sent, [], 'no old worker drains while a new one is not ready');
    h.procs[3]!.ready();
    h.tick();
    assert.deepEqual(h.procs[0]!.sent, [{ t: 'drain' }]);
    assert.deepEqual(h.procs[1]!.sent, [{ t: 'drain' }]);
    await done;
    h.procs[0]!.exit(0);
    h.procs[1]!.exit(0);
    h.tick();
    assert.equal(h.status().state, 'running');
    assert.equal(h.status().generation, 2);
    assert.equal(h.status().restarts, 0, 'a reload is not a restart');
  });

  it('abandons a reload whose new code does not boot; the old workers keep serving', async () => {
    const h = harness();
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick(2000);
    const done = h.pool.reload();
    h.tick();
    h.procs[2]!.emit('message', { t: 'boot-error', message: 'Error: boom at import' });
    h.procs[2]!.exit(4);
    h.tick();
    await assert.rejects(done, (err: Error & { code?: string }) => err.code === 'TSGI_ERR_APP_BOOT' && /boom at import/.test(err.message));
    assert.deepEqual(h.procs[3]!.sent, [{ t: 'drain' }], 'the other new worker is let go');
    assert.deepEqual(h.procs[0]!.sent, [], 'old workers untouched');
    assert.equal(h.status().generation, 1);
    assert.equal(h.status().last_boot_error, 'Error: boom at import');
  });

  it('merges reloads asked for while one runs into one more run', async () => {
    const h = harness({ workers: 1, slow_start: 0 });
    h.tick();
    h.procs[0]!.ready();
    h.tick(2000);
    const first = h.pool.reload();
    h.tick();
    const second = h.pool.reload();
    const third = h.pool.reload();
    h.tick();
    assert.equal(h.procs.length, 2, 'the second reload waits for the first');
    h.procs[1]!.ready();
    h.tick();
    await first;
    h.tick();
    assert.equal(h.procs.length, 3, 'one more run for both waiting requests');
    h.procs[2]!.ready();
    h.tick();
    await Promise.all([second, third]);
    assert.equal(h.status().generation, 3);
  });

  it('recycles a worker over max_memory only once its replacement is ready', () => {
    const h = harness({ workers: 2, max_memory: 100 * 1024 * 1024 });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick();
    h.pool.sampled(new Map([[h.procs[0]!.pid, { rss: 150 * 1024 * 1024, cpu: 1 }], [h.procs[1]!.pid, { rss: 50 * 1024 * 1024, cpu: 1 }]]));
    h.tick();
    assert.equal(h.procs.length, 3, 'a replacement boots beside it');
    assert.deepEqual(h.procs[0]!.sent, [], 'it keeps serving meanwhile');
    h.procs[2]!.ready();
    h.tick();
    assert.deepEqual(h.procs[0]!.sent, [{ t: 'drain' }]);
    assert.deepEqual(h.procs[1]!.sent, []);
    h.procs[0]!.exit(0);
    h.tick();
    assert.equal(h.status().last_exit?.reason, 'max_memory');
    assert.equal(h.status().restarts, 0, 'a recycle is not a crash');
  });

  it('adds jitter to max_requests and recycles on the worker\'s word', () => {
    const h = harness({ workers: 1, max_requests: 100, max_requests_jitter: 10 });
    h.tick();
    assert.equal(h.procs[0]!.spec.maxRequests, 105, '100 + floor(0.5 × 11)');
    h.procs[0]!.ready();
    h.procs[0]!.emit('message', { t: 'retire', reason: 'max_requests' });
    h.tick();
    assert.equal(h.procs.length, 2);
    h.procs[1]!.ready();
    h.tick();
    assert.deepEqual(h.procs[0]!.sent, [{ t: 'drain' }]);
  });

  it('lists for a limited sampler round only the workers ready since the given time', () => {
    const h = harness({ workers: 2 });
    h.tick();
    const pids = (since?: number) => {
      const out: number[] = [];
      h.pool.pidsInto(out, since);
      return out;
    };
    const [a, b] = h.procs as [FakeProc, FakeProc];
    assert.deepEqual(pids(h.now()), [], 'booting: neither, their figures are not taken (pool-workers.ts sampled)');
    a.ready();
    h.tick();
    const aReady = h.now();
    h.tick(3000);
    b.ready();
    h.tick();
    assert.deepEqual(pids(aReady + 1), [b.pid], 'a was ready before, b since');
    assert.deepEqual(pids(), [a.pid, b.pid], 'a full round: every worker');
  });

  it('sends a worker one connection at a time, the next once the last is written, and redelivers its queue if it dies', async () => {
    const h = readyPair();
    const [a, b] = h.procs as [FakeProc, FakeProc];
    const sockets = fakeSockets(6);
    for (const s of sockets) h.pool.accept(s);
    // child_process would re-send every queued handle on each acknowledgement: one each is in flight
    assert.deepEqual([conns(a), conns(b)], [1, 1]);
    await written();
    assert.deepEqual([conns(a), conns(b)], [3, 3], 'the rest follow as each is written');
    // a takes its three; b dies before it took any: its three go to a
    const ids = (p: FakeProc) => p.sent.filter((m) => (m as { t: string }).t === 'conn').map((m) => (m as { id: number }).id);
    a.emit('message', { t: 'got', ids: ids(a) });
    b.exit(null, 'SIGKILL');
    await written();
    assert.deepEqual([conns(a), conns(b)], [6, 3]);
    assert.equal(sockets.filter((s) => s.closed).length, 3, 'only the copies a took are closed');
  });

  it("closes its copy of a connection once the worker's process acknowledges the handle, with no message from the worker", async () => {
    const h = readyPair();
    const [a, b] = h.procs as [FakeProc, FakeProc];
    const sockets = fakeSockets(4);
    for (const s of sockets) h.pool.accept(s);
    await written();
    assert.deepEqual([a.taken.length, b.taken.length], [2, 2]);
    // a's process has its two; b's has its first, then b dies: its second goes to a
    a.taken.forEach((took) => took());
    b.taken[0]!();
    assert.equal(sockets.filter((s) => s.closed).length, 3);
    b.exit(null, 'SIGKILL');
    await written();
    assert.equal(a.sent.filter((m) => (m as { t: string }).t === 'conn').length, 3, "b's unacknowledged connection goes to a");
    assert.equal(sockets.filter((s) => s.closed).length, 3, 'and its copy stays open until a has it');
    a.taken[2]!();
    assert.equal(sockets.filter((s) => s.closed).length, 4);
  });

  it('sends none of its queued connections to a worker told to drain meanwhile: they go to the ready ones', async () => {
    const h = readyPair();
    const [a, b] = h.procs as [FakeProc, FakeProc];
    const sockets = fakeSockets(6);
    for (const s of sockets) h.pool.accept(s);
    assert.deepEqual([conns(a), conns(b)], [1, 1], 'one each in flight, two each queued');
    // a scale-down drains the oldest, a, before its first connection is written
    void h.pool.scale(1);
    h.tick();
    assert.ok(a.sent.some((m) => (m as { t: string }).t === 'drain'), 'a was told to drain');
    await written();
    assert.equal(conns(a), 1, 'after the drain, a gets no more');
    assert.equal(conns(b), 5, "a's two queued ones went to b");
    assert.equal(sockets.filter((s) => s.closed).length, 0, 'none was dropped');
  });

  it('holds connections while no worker is ready, up to backlog, and hands them over once one is', async () => {
    const h = harness({ workers: 1, backlog: 3 });
    h.tick();
    const sockets = Array.from({ length: 5 }, () => ({ closed: false, close() { this.closed = true; } }));
    for (const s of sockets) h.pool.accept(s);
    assert.deepEqual(h.answered.map((a) => sockets.indexOf(a.conn as (typeof sockets)[number])), [3, 4], 'beyond backlog: answered 503 at once');
    assert.equal(h.pool.metrics().unavailable.queue_full, 2);
    assert.equal(h.status().pending_connections, 3);
    h.procs[0]!.ready();
    h.tick();
    assert.equal(h.status().pending_connections, 0);
    await written();
    assert.deepEqual(h.procs[0]!.sent.map((m) => (m as { t: string }).t), ['conn', 'conn', 'conn']);
  });

  it('lets a worker acknowledge only its own connections, so another worker\'s can still be redelivered', async () => {
    const h = harness({ workers: 2 });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick();
    const sockets = Array.from({ length: 2 }, () => ({ closed: false, close() { this.closed = true; } }));
    for (const s of sockets) h.pool.accept(s);
    const conns = (p: FakeProc) => p.sent.filter((m) => (m as { t: string }).t === 'conn').map((m) => (m as { id: number }).id);
    const [a, b] = h.procs as [FakeProc, FakeProc];
    assert.equal(conns(a).length, 1);
    assert.equal(conns(b).length, 1);
    // a's app claims both (process.send is the app's too); b dies before taking its own
    a.emit('message', { t: 'got', ids: [...conns(a), ...conns(b)] });
    assert.equal(sockets.filter((s) => s.closed).length, 1, 'only a\'s copy is closed');
    b.exit(null, 'SIGKILL');
    await written();
    assert.equal(conns(a).length, 2, 'b\'s connection goes to a');
    assert.ok(sockets.some((s) => !s.closed));
  });

  it('ignores what is not a worker message, and the worker serves on', () => {
    const h = harness({ workers: 1 });
    h.tick();
    const p = h.procs[0]!;
    for (const junk of ['x', null, 5, [], { t: 'hb' }, { t: 'got', ids: 'all' }, { t: 'access', lines: 'x' }, { t: 'retire', reason: 'bored' }]) p.emit('message', junk);
    p.ready();
    h.tick();
    assert.equal(h.status().state, 'running');
    assert.equal(h.status().workers[0]!.requests, 0);
    assert.equal(h.procs.length, 1, 'nothing recycled or restarted');
  });

  it('scales down by draining the oldest ready workers', () => {
    const h = harness({ workers: 3 });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick();
    void h.pool.scale(1);
    h.tick();
    assert.deepEqual(h.procs.map((p) => p.sent.length), [1, 1, 0]);
  });
});

describe('recovery (issue #19)', () => {
  const conn = () => ({ closed: false, close() { this.closed = true; } });

  it('replaces workers killed from outside at once and never counts them toward a crash loop', () => {
    const h = harness({ workers: 1 });
    h.tick();
    for (let i = 0; i < 10; i++) {
      const p = h.procs.at(-1)!;
      p.ready();
      h.tick(10);
      p.exit(null, 'SIGKILL'); // 10 ms after ready, well within min_uptime
      h.tick();
    }
    assert.equal(h.procs.length, 11, 'each replaced at once, no backoff');
    assert.equal(h.status().state, 'starting');
    assert.equal(h.status().last_exit?.reason, 'killed');
    assert.deepEqual([h.pool.metrics().restarts.killed, h.pool.metrics().restarts.crash], [10, 0]);
  });

  it('still counts a crash by the process\'s own fault signal (SIGSEGV)', () => {
    const h = harness({ workers: 1 });
    h.tick();
    for (let i = 0; i < 3; i++) {
      const p = h.procs.at(-1)!;
      p.ready();
      p.exit(null, 'SIGSEGV');
      h.tick(1000);
    }
    assert.equal(h.status().state, 'failed');
    assert.equal(h.pool.metrics().restarts.crash, 3);
  });

  it('counts uptime from ready, not from spawn', () => {
    const h = harness({ workers: 1, boot_timeout: 60_000 });
    h.tick();
    h.tick(5000); // a slow boot: 5 s from spawn to ready
    h.procs[0]!.ready();
    h.tick(200);
    h.procs[0]!.exit(1);
    h.tick();
    h.procs[1]!.ready();
    h.tick(200);
    h.procs[1]!.exit(1);
    h.tick();
    assert.equal(h.status().state, 'degraded', 'both counted: each died 200 ms after ready, though 5 s after spawn');
    assert.equal(h.procs.length, 2, 'the second counted failure waits backoff_initial');
  });

  it('retries a failed app on its own after retry_failed, and logs "marked failed" once', () => {
    const h = harness({ workers: 2 });
    h.tick();
    for (let i = 0; i < 3; i++) {
      for (const p of h.live()) p.ready();
      for (const p of h.live()) p.exit(1);
      h.tick(1000);
    }
    assert.equal(h.status().state, 'failed');
    assert.equal(h.errors.filter((e) => /marked failed/.test(e)).length, 1);
    const retryAt = h.status().retry_at!;
    const spawned = h.procs.length;
    assert.equal(h.pool.nextDeadline(), retryAt);
    h.tick(retryAt - h.now() - 1);
    assert.equal(h.procs.length, spawned, 'nothing before the period');
    h.tick(1);
    assert.equal(h.status().state, 'starting', 'tried again');
    assert.equal(h.procs.length, spawned + 2);
    assert.equal(h.status().retry_at, null);
  });

  it('answers 503 with Retry-After at once for a failed or stopped app, and after hold_timeout for an empty one', async () => {
    const h = harness({ workers: 1, boot_timeout: 60_000 });
    h.tick();
    const held = conn();
    h.pool.accept(held);
    h.tick(4999);
    assert.equal(h.answered.length, 0, 'waits while the worker boots');
    assert.equal(h.pool.nextDeadline(), 1_000_000 + 5000);
    h.tick(1);
    assert.equal(h.answered[0]!.conn, held);
    assert.equal(h.answered[0]!.u.retryAfter, 1);
    assert.equal(h.status().pending_connections, 0);

    h.procs[0]!.emit('message', { t: 'boot-error', message: 'SyntaxError' });
    h.procs[0]!.exit(4);
    h.tick();
    assert.equal(h.status().state, 'failed');
    h.pool.accept(conn());
    assert.equal(h.answered.length, 2, 'failed: answered at once');
    assert.equal(h.answered[1]!.u.retryAfter, 120, 'Retry-After: until the automatic retry');
    assert.match(h.answered[1]!.u.message, /failed: boot failure: SyntaxError/);

    void h.pool.stop();
    h.tick();
    h.pool.accept(conn());
    assert.deepEqual(h.pool.metrics().unavailable, { failed: 1, stopped: 1, hold_timeout: 1, queue_full: 0 });
    assert.ok(h.answered.every((a) => !(a.conn as ReturnType<typeof conn>).closed), 'answered, never reset');
  });

  it('says "started" only once the workers have been ready for min_uptime', async () => {
    const h = harness({ workers: 1 });
    let started = false;
    const done = h.pool.start().then(() => (started = true));
    h.tick();
    h.procs[0]!.ready();
    h.tick(999);
    await Promise.resolve();
    assert.equal(started, false);
    assert.equal(h.pool.nextDeadline(), 1_000_000 + 1000);
    h.tick(1);
    await done;
    assert.equal(started, true);
  });

  it('fails a start whose worker crashes 200 ms after ready', async () => {
    const h = harness({ workers: 1 });
    const done = h.pool.start();
    h.tick();
    h.procs[0]!.ready();
    h.tick(200);
    h.procs[0]!.exit(1);
    h.tick();
    await assert.rejects(done, (err: Error & { code?: string }) => err.code === 'TSGI_ERR_APP_UNSTABLE' && /200ms after it was ready/.test(err.message));
  });
});

describe('paced boots', () => {
  it('boots at most max_concurrent_boots workers at once, across apps, and reaches the target', async () => {
    const pacer = new BootPacer(3);
    const clock = { now: 1_000_000 };
    const a = harness({ workers: 2 }, { pacer, clock });
    const b = harness({ name: 'other', workers: 2 }, { pacer, clock });
    a.tick();
    b.tick();
    assert.deepEqual([a.procs.length, b.procs.length], [2, 1], 'three slots, shared');
    a.procs.forEach((p) => p.ready());
    b.procs[0]!.ready();
    a.tick();
    b.tick();
    assert.equal(b.procs.length, 2);
    b.procs[1]!.ready();
    b.tick();
    const scaled = a.pool.scale(20);
    let maxStarting = 0;
    for (let round = 0; round < 100 && a.status().ready < 20; round++) {
      a.tick(100);
      const starting = a.status().workers.filter((w) => w.state === 'starting');
      maxStarting = Math.max(maxStarting, starting.length + 0, pacer.booting);
      assert.ok(pacer.booting <= 3);
      a.procs.find((p) => p.pid === starting[0]?.pid)?.ready(); // one finishes booting per round
    }
    a.tick();
    await scaled;
    assert.equal(maxStarting, 3);
    assert.equal(a.status().state, 'running');
    assert.equal(a.status().ready, 20);
    assert.equal(pacer.booting, 0, 'every slot given back');
  });

  it('starts boot_timeout at the worker\'s turn, and does not count a timeout beside other boots', () => {
    const pacer = new BootPacer(2);
    const h = harness({ workers: 3, boot_timeout: 3000 }, { pacer });
    h.tick();
    assert.equal(h.procs.length, 2);
    h.tick(2000);
    h.procs[0]!.ready();
    h.tick();
    assert.equal(h.procs.length, 3, 'the third boots when a slot frees');
    h.tick(1001); // procs[1] is over boot_timeout, procs[2] is not: its clock started at its turn
    assert.deepEqual(h.procs[1]!.signals, ['SIGKILL']);
    assert.deepEqual(h.procs[2]!.signals, []);
    h.procs[1]!.exit(null, 'SIGKILL');
    h.tick();
    assert.equal(h.status().last_exit?.reason, 'boot-timeout');
    assert.equal(h.status().state, 'starting', 'not counted: another boot ran beside it');
    assert.equal(h.procs.length, 4, 'replaced at once');
  });
});

describe('slow start and the reload hand-over (slow_start)', () => {
  // the fake's coin is always 0.5: a ramping worker is a candidate once its share passes half
  const drained = (p: FakeProc): boolean => p.sent.some((m) => (m as { t: string }).t === 'drain');
  const send = async (h: ReturnType<typeof harness>, n: number): Promise<void> => {
    for (const s of fakeSockets(n)) h.pool.accept(s);
    await written();
  };
  /** two old workers serving, a reload whose new workers (`ready` of the two) are ready at the returned time */
  const handingOver = (slow_start = 1000, ready = 2, more: Partial<AppConfig> = {}) => {
    const h = harness({ slow_start, ...more });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick(5000);
    const done = h.pool.reload();
    h.tick();
    h.procs.slice(2, 2 + ready).forEach((p) => p.ready());
    h.tick();
    return { h, done, at: h.now() };
  };

  it('keeps the old workers serving once every new one is ready, giving way to them over slow_start, then drains them', async () => {
    const { h, done, at } = handingOver();
    assert.ok(!h.procs.some(drained), 'every new worker is ready, yet no old one is drained');
    assert.equal(h.status().state, 'reloading');
    assert.equal(h.pool.nextDeadline(), at + 1000, 'a tick is asked for at the end of the hand-over');
    await send(h, 4);
    assert.deepEqual(h.procs.map(conns), [2, 2, 0, 0], 'at first the warm old workers take the new connections');
    h.tick(600);
    await send(h, 4);
    assert.deepEqual(h.procs.map(conns), [2, 2, 2, 2], 'past half of it, the new ones do');
    assert.ok(!h.procs.some(drained));
    h.tick(400);
    assert.deepEqual(h.procs.map(drained), [true, true, false, false]);
    await done;
    assert.equal(h.status().generation, 2);
    await send(h, 2);
    assert.deepEqual(h.procs.map(conns), [2, 2, 3, 3], 'the new generation takes everything');
  });

  it('abandons the reload when a new worker is killed (kill -9) during the hand-over: every old worker keeps serving', async () => {
    const { h, done } = handingOver();
    h.tick(600);
    h.procs[2]!.exit(null, 'SIGKILL');
    h.tick();
    await assert.rejects(done, (err: Error & { code?: string }) => err.code === 'TSGI_ERR_APP_BOOT' && /SIGKILL/.test(err.message));
    assert.deepEqual(h.procs.map(drained), [false, false, false, true], 'the other new worker is let go, no old one');
    await send(h, 4);
    assert.deepEqual(h.procs.map(conns), [2, 2, 0, 0], 'the old workers take their whole share again');
    h.tick(2000);
    assert.ok(!drained(h.procs[0]!) && !drained(h.procs[1]!), 'past where the hand-over would have ended');
    assert.equal(h.status().generation, 1);
    assert.equal(h.status().ready, 2);
  });

  it('abandons the reload when a new worker fails to boot while the other is ready: no old worker is touched', async () => {
    const { h, done } = handingOver(1000, 1);
    h.tick(300);
    h.procs[3]!.emit('message', { t: 'boot-error', message: 'Error: boom at import' });
    h.procs[3]!.exit(4);
    h.tick();
    await assert.rejects(done, (err: Error & { code?: string }) => err.code === 'TSGI_ERR_APP_BOOT' && /boom at import/.test(err.message));
    assert.deepEqual(h.procs.map(drained), [false, false, true, false]);
    assert.equal(h.status().generation, 1);
  });

  it('finishes the reload when an old worker is killed during the hand-over: its connection goes to a live worker', async () => {
    const { h, done } = handingOver();
    for (const s of fakeSockets(2)) h.pool.accept(s);
    assert.deepEqual(h.procs.map(conns), [1, 1, 0, 0]);
    h.procs[0]!.exit(null, 'SIGKILL');
    await written();
    assert.equal(conns(h.procs[1]!), 2, 'the killed worker\'s unacknowledged connection goes to the other old one, still the warm one');
    h.tick(1000);
    await done;
    assert.ok(drained(h.procs[1]!));
    assert.equal(h.procs.length, 4, 'no replacement of the old generation is booted');
    assert.equal(h.status().generation, 2);
  });

  it('with slow_start 0, drains the old workers as soon as every new one is ready', async () => {
    const { h, done } = handingOver(0);
    assert.deepEqual(h.procs.map(drained), [true, true, false, false]);
    await done;
    assert.equal(h.pool.nextDeadline() > h.now() + 1000, true, 'no hand-over deadline');
  });

  it('hands over at once where a client goes back to its worker (ip-hash), and for an app that watches its files', async () => {
    for (const more of [{ balance: 'ip-hash' as const }, { watch: { paths: ['.'], ignore: [], debounce: 300 } }]) {
      const { h, done } = handingOver(1000, 2, more);
      assert.deepEqual(h.procs.map(drained), [true, true, false, false], JSON.stringify(more));
      await done;
    }
  });

  it('ramps up a replacement worker\'s share while a warm one takes the rest', async () => {
    const h = harness({ slow_start: 1000 });
    h.tick();
    h.procs.forEach((p) => p.ready());
    h.tick(5000);
    h.procs[1]!.exit(null, 'SIGKILL');
    h.tick();
    h.procs[2]!.ready();
    h.tick();
    await send(h, 4);
    assert.deepEqual(h.procs.map(conns), [4, 0, 0], 'just ready: none yet');
    h.tick(600);
    await send(h, 4);
    assert.deepEqual(h.procs.map(conns), [6, 0, 2], 'past half of slow_start: its turn in the round');
  });
});
