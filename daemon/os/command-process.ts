/**
 * A `command` app's instance: any program, spawned with no IPC channel, made to look like a worker
 * to the pool (process-ops.ts's WorkerProcess), so it gets the same supervision. What a worker says
 * over IPC is said for it here:
 * - nothing for `ready`: the pool makes it ready once it has stayed up `restart.min_uptime` (it has
 *   no way to say more), so a rolling reload stops an old instance only after its replacement has
 *   survived its start (had its time to set up, install its SIGTERM handler), and one that dies
 *   sooner is a boot crash, counted toward a crash loop (pool/pool-failures.ts).
 * - `boot-error` when it cannot be started at all (gone since the config was checked, not
 *   executable): the app is marked failed, as for a module that does not load.
 * - no heartbeat: the pool does not apply `timeout` to it (pool/app-pool.ts).
 * - the arbiter's `drain` becomes SIGTERM; SIGKILL follows after `graceful_timeout` as for workers.
 */
import { spawn } from 'node:child_process';
import type { WorkerSpec } from '../protocol.js';
import type { WorkerProcess } from './process-ops.js';
import { ProcessListeners } from './process-listeners.js';

export function spawnCommand(spec: WorkerSpec & { command: string[] }, env: Record<string, string>): WorkerProcess {
  const [program, ...args] = spec.command;
  const listeners = new ProcessListeners();
  // spawn() has no umask option: the child inherits tsgid's across fork, so it is set around the
  // (synchronous) fork and put back at once; workers set theirs themselves (worker/main.ts)
  const own = process.umask(spec.umask);
  let child;
  try {
    child = spawn(program!, args, {
      cwd: spec.cwd,
      ...(spec.uid !== undefined && { uid: spec.uid }),
      ...(spec.gid !== undefined && { gid: spec.gid }),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    process.umask(own);
  }
  child.on('error', (err: NodeJS.ErrnoException) => {
    // an error after spawning (a kill that failed) is not a boot failure
    if (child.pid !== undefined) return;
    listeners.neverStarted(`TSGI_ERR_APP_BOOT: cannot run ${JSON.stringify(program)} in ${spec.cwd}: ${err.code ?? err.message}`);
  });
  child.once('exit', listeners.exit);
  return {
    get pid() { return child.pid; },
    stdout: child.stdout,
    stderr: child.stderr,
    send(msg) {
      if (msg.t !== 'drain' || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
      child.kill('SIGTERM');
      return true;
    },
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
    },
    onMessage(fn) { listeners.onMessage(fn); },
    onExit(fn) { listeners.onExit(fn); },
  };
}
