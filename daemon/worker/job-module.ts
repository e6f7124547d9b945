/**
 * A scheduled job's module (an app with `app` and `cron`, docs/TSGI.md §10): the function one run
 * calls. `path/to/job[:name]`: the export named, else the default export when it is a function,
 * else an export named `run`. It is called once, with `{ signal }`, an AbortSignal aborted when
 * tsgi stops the run (run_timeout, stop, shutdown), and may return a promise.
 */
import { TsgiError } from '../errors.js';
import { importRef } from './import-ref.js';

/** What a job's function is given. */
export interface JobContext {
  /** aborted when tsgi stops the run: pass it to what the job awaits (fetch, timers/promises, a query) */
  signal: AbortSignal;
}

export type JobFunction = (ctx: JobContext) => unknown;

export async function loadJob(cwd: string, module: string): Promise<JobFunction> {
  const { ref, namespace } = await importRef(cwd, module);
  // `:name` names the export; without it, `default` when it is a function, else `run`
  const name = module.includes(':') && ref.exportName !== 'default' ? ref.exportName : typeof namespace.default === 'function' ? 'default' : 'run';
  const fn = namespace[name];
  if (typeof fn !== 'function') {
    const what = fn === undefined ? 'no such export' : `it is ${typeof fn}`;
    throw new TsgiError('TSGI_ERR_APP_INTERFACE', `${ref.ref}: a scheduled job's module exports the function a run calls (export default async function, or export async function run); export '${name}': ${what}`);
  }
  return fn as JobFunction;
}
