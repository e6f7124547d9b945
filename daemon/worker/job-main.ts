/**
 * One run of a scheduled job's module (docs/TSGI.md §10), forked by the arbiter like a worker
 * (os/process-ops.ts) but with no server, heartbeat or bundle: it loads the module, calls its
 * function once and exits with the run's result, whatever the function left open (a database
 * pool, a timer): 0 when it resolved, 1 when it threw or rejected (the error on stderr),
 * EXIT_APP_LOAD_ERROR when the module did not load (the reason reaches the run's `detail`).
 *
 * Told to stop (run_timeout, stop, shutdown: the arbiter's `drain`, SIGTERM, or the arbiter gone),
 * it aborts the function's `signal` and still exits when the function settles; the arbiter
 * SIGKILLs it after `graceful_timeout` if it does not. The pool records the run as `timeout` or
 * `stopped` either way (pool/cron-job.ts).
 */
import { TsgiError } from '../errors.js';
import { EXIT_APP_LOAD_ERROR, type ArbiterMessage, type WorkerSpec } from '../protocol.js';
import { loadJob } from './job-module.js';
import { startOrphanWatchdog } from './orphan-watchdog.js';

/** Once the arbiter is gone, a run has this long to settle before it is killed (as a worker's orphan drain). */
const ORPHAN_KILL_MS = 2000;

const spec = JSON.parse(process.env.TSGI_WORKER_SPEC ?? 'null') as WorkerSpec | null;
if (spec === null || typeof process.send !== 'function') {
  process.stderr.write('tsgi job: started without TSGI_WORKER_SPEC and an IPC channel; tsgid starts jobs, not users\n');
  process.exit(2);
}
delete process.env.TSGI_WORKER_SPEC;
process.umask(spec.umask);
startOrphanWatchdog(ORPHAN_KILL_MS);

const stopping = new AbortController();
const stop = (why: string): void => {
  if (!stopping.signal.aborted) stopping.abort(new Error(`tsgi stopped this run: ${why}`));
};
// Ctrl-C in a terminal reaches the whole process group; the arbiter decides how runs stop
process.on('SIGINT', () => {});
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('disconnect', () => stop('tsgid is gone'));
process.on('message', (msg: ArbiterMessage) => {
  if (msg.t === 'drain') stop('drain (run_timeout, stop or shutdown)');
});
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

function send(msg: { t: 'ready' } | { t: 'boot-error'; message: string; stack?: string }): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, () => resolve());
  });
}

async function main(): Promise<never> {
  let run;
  try {
    run = await loadJob(spec!.cwd, spec!.module!);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = e instanceof TsgiError ? e.code : 'TSGI_ERR_APP_BOOT';
    const cause = e.cause instanceof Error ? e.cause : undefined;
    await send({ t: 'boot-error', message: `${code}: ${e.message}`, stack: cause?.stack ?? e.stack });
    process.exit(EXIT_APP_LOAD_ERROR);
  }
  void send({ t: 'ready' });
  try {
    await run({ signal: stopping.signal });
  } catch (err) {
    process.stderr.write(`${spec!.app}: the run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
  process.exit(0);
}

void main();
