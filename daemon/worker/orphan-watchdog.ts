/**
 * A worker must not outlive tsgid, even when its event loop is stuck (a busy loop never sees the
 * IPC channel's 'disconnect'). A worker thread, which runs whatever the main thread does, polls
 * the parent's pid: once it changes (tsgid died, the worker was reparented to init or a
 * subreaper), it waits out the graceful orphan drain and then SIGKILLs its own process.
 *
 * The thread's code is an eval'd string, so it works from the esbuild bundle (a file beside
 * bundle.js would be one more thing to ship and find). It imports nothing, wakes every
 * POLL_MS for one getppid(2), is unref'd (never keeps the worker alive), and costs some 7 MB
 * of private memory per worker: the price of a second V8 isolate (BENCHMARKS.md).
 */
import { Worker } from 'node:worker_threads';

/** How often the thread looks at the parent pid: the detection's worst lateness. */
const POLL_MS = 200;

// The thread sleeps in Atomics.wait, not on a timer: a wake-up costs a sixth of a libuv timer's
// (0.45 against 2.6 ms of CPU a second, measured), and Worker termination interrupts the wait, so
// the process still exits as if the thread were not there.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { parent, poll, killAfter } = workerData;
const cell = new Int32Array(new SharedArrayBuffer(4));
while (process.ppid === parent) Atomics.wait(cell, 0, 0, poll);
Atomics.wait(cell, 0, 0, killAfter);
process.kill(process.pid, 'SIGKILL');
`;

/**
 * Starts the thread; `killAfter` is how long after it notices the parent gone the process is
 * killed, whatever the main thread is doing (the main thread's own drain goes first if it can).
 */
export function startOrphanWatchdog(killAfter: number): void {
  const thread = new Worker(WATCHDOG, {
    eval: true,
    workerData: { parent: process.ppid, poll: POLL_MS, killAfter },
    // a thread that does nothing needs little: keeps its isolate small
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
    stdout: false,
    stderr: false,
    env: {},
  });
  // an error inside the thread (it has none to throw) must not become the app's uncaught exception
  thread.on('error', () => {});
  thread.unref();
}
