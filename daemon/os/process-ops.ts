/**
 * Everything the arbiter asks of the operating system: spawn a worker, signal it, read the clock.
 * The pool and the arbiter only see this interface, so the state machine is unit-tested with a
 * fake (test/pool-state.test.ts) and run for real with `realOps` (supervisord's `options` object).
 */
import { fork, type ChildProcess, type SendHandle } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { procStatsAvailable, readProcStats } from './proc-stats.js';
import type { ArbiterMessage, WorkerSpec } from '../protocol.js';
import type { Connection } from '../protocol.js';
import { spawnCommand } from './command-process.js';
import { ProcessListeners } from './process-listeners.js';
import { ALIVE_FD, closeAliveFile, openAliveFile, touchedAt } from './alive-file.js';

export interface WorkerProcess {
  readonly pid: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * false when the channel is already closed (nothing was sent); `done` gets an error if sending
   * failed later. With a connection, `taken` is called once the worker's process holds it (Node's
   * own NODE_HANDLE_ACK), never if sending failed.
   */
  send(msg: ArbiterMessage, conn?: Connection, done?: (err: Error | null) => void, taken?: () => void): boolean;
  kill(signal: NodeJS.Signals): void;
  onMessage(fn: (msg: unknown) => void): void;
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** When the worker last touched its alive file (os/alive-file.ts); absent or undefined: it has none, only messages count. */
  aliveAt?(): number | undefined;
}

export interface ProcStats {
  /** resident memory, bytes */
  rss: number;
  /** percent of one core since the previous sample */
  cpu: number;
  /** user + system CPU time since the process started, seconds (absent from fakes) */
  cpuSeconds?: number;
}

export interface ProcessOps {
  spawn(spec: WorkerSpec, env: Record<string, string>): WorkerProcess;
  now(): number;
  random(): number;
  /** One batch read for many processes; a pid that is gone is missing from the result. */
  /** `partial`: not every process sampled is in `pids` (the others are kept for the next full call) */
  stats(pids: number[], partial?: boolean): Promise<Map<number, ProcStats>>;
}

/**
 * The worker's code as one module, bundled from worker/main.js by `npm run build` (esbuild, its
 * packages left as imports). Loaded as some thirty ES modules instead, a worker's boot on Node 20
 * opens a FileHandle per module, and those FileHandles, met by EventEmitter's constructor before
 * any request, push its inline caches past four object shapes: from then on every request's
 * IncomingMessage and ServerResponse are built with generic property stores, ~1 000 more
 * instructions per request than in a raw node:cluster worker (callgrind, BENCHMARKS.md).
 */
const WORKER_MAIN = fileURLToPath(new URL('../worker/bundle.js', import.meta.url));
/** A scheduled job's module runs once in a process of its own, with none of the server: unbundled (worker/job-main.ts). */
const JOB_MAIN = fileURLToPath(new URL('../worker/job-main.js', import.meta.url));

export const realOps: ProcessOps = {
  spawn(spec, env) {
    if (spec.command !== undefined) return spawnCommand({ ...spec, command: spec.command }, env);
    // a job's run has no heartbeat (run_timeout bounds it)
    const alive = spec.job === true ? undefined : openAliveFile(spec.uid, spec.gid);
    let child: ChildProcess;
    try {
      child = forkWorker(spec, env, alive);
    } catch (err) {
      if (alive !== undefined) closeAliveFile(alive);
      throw err;
    }
    // the worker has its own copy from the fork on; the arbiter's goes with the worker
    if (alive !== undefined) child.once('exit', () => closeAliveFile(alive));
    const listeners = new ProcessListeners();
    child.once('exit', (code, signal) => afterChannel(child, () => listeners.exit(code, signal)));
    child.on('message', (msg: unknown) => listeners.message(msg));
    const handles = new HandleAcks();
    // Node's child_process acknowledges each handle it receives (its NODE_HANDLE_ACK, which
    // node:cluster also waits for) and sends the next only then: one ACK per handle, in order
    child.on('internalMessage', (msg: { cmd?: unknown } | null) => {
      if (msg?.cmd === 'NODE_HANDLE_ACK') handles.acked();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // a send racing the worker's death must not take the arbiter down: that error is not a failure to start
      if (child.pid !== undefined) return;
      // the process never started (its cwd is gone, no more processes, a uid it cannot take): Node
      // emits no 'exit' for it, and a worker left waiting for one would hold a stop or a shutdown for ever
      if (alive !== undefined) closeAliveFile(alive);
      listeners.neverStarted(`TSGI_ERR_APP_BOOT: cannot start a worker in ${spec.cwd}: ${err.code ?? err.message}`);
    });
    return {
      get pid() { return child.pid; },
      stdout: child.stdout,
      stderr: child.stderr,
      send(msg, conn, done, taken) {
        if (!child.connected) return false;
        // child.send() answers false when its queue is long, yet the message is queued and will go:
        // only a closed channel (above) or an error in `done` means it did not arrive. A bare
        // handle goes as 'net.Native', which send() never closes: the arbiter closes its copy when
        // the worker's process has it (`taken`). (@types/node lists Socket and Server only.)
        if (conn === undefined) child.send(msg, undefined, done ?? noop);
        else child.send(msg, conn as SendHandle, handles.expect(taken ?? noop, done ?? noop));
        return true;
      },
      kill(signal) {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      onMessage(fn) { listeners.onMessage(fn); },
      onExit(fn) { listeners.onExit(fn); },
      ...(alive !== undefined && { aliveAt: () => touchedAt(alive) }),
    };
  },
  now: () => Date.now(),
  random: () => Math.random(),
  stats: async (pids, partial = false) => {
    if (pids.length === 0) return new Map();
    // Linux: /proc read directly (proc-stats.ts); elsewhere pidusage, loaded only there
    if (linuxProc) return readProcStats(pids, partial);
    const { default: pidusage } = await import('pidusage');
    return new Promise((resolve) => {
      pidusage(pids, (err, all) => {
        const out = new Map<number, ProcStats>();
        if (err === null) {
          for (const st of Object.values(all)) if (st !== null && st !== undefined) out.set(st.pid, { rss: st.memory, cpu: st.cpu, cpuSeconds: st.ctime / 1000 });
        }
        resolve(out);
      });
    });
  },
};

const linuxProc = procStatsAvailable();

function noop(): void {}

/**
 * How long an exit waits for the rest of its worker's messages. The channel ends at once with the
 * process, unless a process the app started holds the channel's descriptor too.
 */
const CHANNEL_END_MS = 2000;

/**
 * Node may emit 'exit' before the messages the worker wrote just before it exited (its boot error)
 * are read from the channel: the exit is told once the channel has ended, so the pool has them
 * first (a boot error reported as "exited with code 4 before it was ready" on Node 24).
 */
function afterChannel(child: ChildProcess, exit: () => void): void {
  if (!child.connected) return exit();
  const timer = setTimeout(exit, CHANNEL_END_MS);
  child.once('disconnect', () => {
    clearTimeout(timer);
    exit();
  });
}

function forkWorker(spec: WorkerSpec, env: Record<string, string>, alive: number | undefined): ChildProcess {
  return fork(spec.job === true ? JOB_MAIN : WORKER_MAIN, [], {
    cwd: spec.cwd,
    // libuv drops the supplementary groups (setgroups(0)) before setgid and setuid
    ...(spec.uid !== undefined && { uid: spec.uid }),
    ...(spec.gid !== undefined && { gid: spec.gid }),
    // built from an allow-list (worker-env.ts), never tsgid's whole environment
    env: { ...env, TSGI_WORKER_SPEC: JSON.stringify(alive === undefined ? spec : { ...spec, aliveFd: ALIVE_FD }) },
    // the daemon's own flags (--inspect, loaders) are not the app's
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc', ...(alive === undefined ? [] : [alive])],
    serialization: 'json',
  });
}

/** The handles sent to one child and not yet acknowledged, oldest first. */
class HandleAcks {
  private readonly waiting: Array<() => void> = [];

  /** `taken` for the handle being sent; returns its send callback, which drops it again if the send failed */
  expect(taken: () => void, done: (err: Error | null) => void): (err: Error | null) => void {
    this.waiting.push(taken);
    return (err) => {
      if (err !== null) {
        const at = this.waiting.indexOf(taken);
        if (at !== -1) this.waiting.splice(at, 1);
      }
      done(err);
    };
  }

  acked(): void {
    this.waiting.shift()?.();
  }
}
