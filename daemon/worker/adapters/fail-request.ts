/**
 * What a worker does when the app fails one request: log it, answer 500 if it still can,
 * and keep serving. One bad request must never cost the worker (and its other requests).
 */
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';

const BODY = 'Internal Server Error\n';

/** Writes `tsgi: <what>: <error with stack and cause>` to stderr, which the arbiter collects per worker. */
export function reportError(what: string, err: unknown): void {
  process.stderr.write(`tsgi: ${what}: ${inspect(err)}\n`);
}

/**
 * Logs `err` and ends `res` with a short 500. Once headers are out a status can no longer
 * be sent, so the connection is cut instead: the client must not take a truncated body for a whole one.
 */
export function failRequest(res: ServerResponse, what: string, err: unknown): void {
  reportError(what, err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': BODY.length });
  res.end(BODY);
}
