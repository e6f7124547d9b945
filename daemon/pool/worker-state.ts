/**
 * Worker and app states. Imports nothing, so every module can use them without cycles
 * (supervisord's states.py).
 */

export type WorkerState =
  /** spawned; loading the app, not yet taking connections */
  | 'starting'
  /** taking connections */
  | 'ready'
  /** told to finish in-flight requests and exit; takes no new connections */
  | 'draining'
  /** exited after being asked to, or cleanly */
  | 'stopped'
  /** exited without being asked to */
  | 'crashed'
  /** could not load the app (import threw, factory rejected, not ready within boot_timeout) */
  | 'failed';

/**
 * The only moves a worker may make. A state missing from a list cannot be reached from here;
 * `transition()` in worker-record.ts refuses anything else, so an impossible sequence is a bug that
 * shows at once instead of a state set "by plain assignment from several files".
 */
export const WORKER_MOVES: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  // a starting worker can be stopped before it is ready (reload abandoned, app stopped)
  starting: ['ready', 'draining', 'crashed', 'failed'],
  ready: ['draining', 'crashed'],
  // killed after graceful_timeout still counts as stopped: we asked it to go
  draining: ['stopped', 'crashed'],
  stopped: [],
  crashed: [],
  failed: [],
};

export function canMove(from: WorkerState, to: WorkerState): boolean {
  return WORKER_MOVES[from].includes(to);
}

/**
 * An app's state is derived from its workers and its target, never stored:
 * - `running`   every target worker ready
 * - `starting`  target workers not all ready yet, no failure so far
 * - `reloading` a rolling reload is under way
 * - `degraded`  fewer ready workers than the target after a crash (restarting with backoff)
 * - `stopping`  asked to stop; workers draining
 * - `stopped`   no workers, none wanted
 * - `failed`    crash loop or boot failure: no more spawning until restart.retry_failed has passed or it is started again
 */
export type AppState = 'running' | 'starting' | 'reloading' | 'degraded' | 'stopping' | 'stopped' | 'failed';

/** Why a worker was asked to go, or why it went: shown in status and counted in metrics. */
export type ExitReason =
  | 'crash'
  /** died by a signal the arbiter did not send (an operator's kill -9, the OOM killer): not the app's own crash */
  | 'killed'
  | 'boot-error'
  | 'boot-timeout'
  | 'timeout'
  | 'max_requests'
  | 'max_memory'
  | 'reload'
  | 'restart'
  | 'scale'
  | 'stop'
  | 'shutdown'
  | 'abandoned';
