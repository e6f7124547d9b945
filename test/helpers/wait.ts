/**
 * Waiting in tests, on a machine whose load nobody controls. A deadline here only guards against a
 * hang, never is what a test asserts; so it is written for a quiet machine and stretched by how
 * loaded this one is: `slowdown()` is the 1-minute load average per core (at least 1, at most 20),
 * re-read on every round of a wait, and a wait's deadline grows with the highest value it saw. A
 * load of 10 on 2 cores makes a 20 s deadline 100 s. TSGI_TEST_SLOWDOWN=<n> fixes the factor (a
 * slow CI runner whose load average says little, or 1 to see the quiet-machine deadlines).
 */
import { availableParallelism, loadavg } from 'node:os';

const FIXED = Number(process.env.TSGI_TEST_SLOWDOWN);

/** How many times slower than a quiet machine this one is now, by its load. */
export function slowdown(): number {
  if (FIXED > 0) return FIXED;
  return Math.min(20, Math.max(1, loadavg()[0]! / availableParallelism()));
}

/** `ms` of a quiet machine, on this one now. */
export function scaled(ms: number): number {
  return Math.round(ms * slowdown());
}

export interface WaitOptions {
  /** what is awaited, for the message on a timeout: "the access log's 11 lines" */
  what: string;
  /** the deadline on a quiet machine, stretched by slowdown(); 20 s unless told */
  timeout?: number;
  /** pause between rounds; 50 ms unless told */
  interval?: number;
  /** more for the timeout message: the last thing seen, a process's output */
  detail?: () => string;
  /** a reason to stop waiting at once (the process that should get there has exited), or undefined */
  abort?: () => string | undefined;
  /** a throw from `check` counts as "not yet" (a socket not listening yet) rather than ending the wait with it */
  retryOnError?: boolean;
}

/**
 * Call `check` until it returns something other than undefined, null or false, and return that. A
 * throw from `check` ends the wait with it, unless `retryOnError` (then the last one is in the
 * timeout's message). The timeout's message names `what`, how long it waited, and `detail()`.
 */
export async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions): Promise<T> {
  const started = Date.now();
  const base = opts.timeout ?? 20_000;
  let factor = slowdown();
  let lastError: unknown;
  for (;;) {
    const stop = opts.abort?.();
    if (stop !== undefined) throw new Error(`${stop} while waiting for ${opts.what}${more(opts, lastError)}`);
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      if (opts.retryOnError !== true) throw e;
      lastError = e;
    }
    factor = Math.max(factor, slowdown());
    const waited = Date.now() - started;
    if (waited > base * factor) {
      throw new Error(`timed out after ${(waited / 1000).toFixed(1)} s (${base / 1000} s × load factor ${factor.toFixed(1)}) waiting for ${opts.what}${more(opts, lastError)}`);
    }
    await new Promise((r) => setTimeout(r, opts.interval ?? 50));
  }
}

function more(opts: WaitOptions, lastError: unknown): string {
  const detail = opts.detail?.() ?? '';
  const error = lastError === undefined ? '' : `\nlast error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  return `${error}${detail === '' ? '' : `\n${detail}`}`;
}
