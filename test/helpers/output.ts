/**
 * tsgid's output, awaited: a line tsgid logs reaches the test through a pipe, and may come after an
 * API answer (a status, an exit) about the same event, so a test waits for it instead of reading
 * the output once.
 */
import type { Daemon } from './daemon.js';
import { RAW_DEADLINE_MS } from './raw-http.js';
import { waitFor } from './wait.js';

export async function untilOutput(d: Pick<Daemon, 'output'>, pattern: RegExp): Promise<void> {
  await waitFor(() => pattern.test(d.output()), { what: `tsgid's output to match ${pattern}`, timeout: RAW_DEADLINE_MS, detail: () => d.output() });
}
