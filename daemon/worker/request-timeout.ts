/**
 * request_timeout: a response that has not finished in time is answered 503 (its connection
 * cut, or its HTTP/2 stream reset, if the response had started) and logged; the app's own late
 * writes then go nowhere and the worker carries on.
 *
 * No timer per request: a request costs a clock read, stamped on its response, and one sweep
 * over the worker's open responses, every tenth of the limit (at most a second), finds those
 * past it. A response is cut off between the limit and the limit plus one sweep interval.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortRequest } from './refuse.js';

const kStarted = Symbol('tsgi.requestStarted');

type Stamped = ServerResponse & { [kStarted]?: number };

/** Starts the sweep over `open`, the responses the worker has not yet seen close. */
export function sweepRequestTimeouts(open: ReadonlySet<ServerResponse>, ms: number): void {
  setInterval(sweep, Math.max(10, Math.min(1000, Math.floor(ms / 10))), open, ms).unref();
}

/** In the request path: the response's clock starts now. */
export function stampRequest(res: ServerResponse): void {
  (res as Stamped)[kStarted] = performance.now();
}

function sweep(open: ReadonlySet<ServerResponse>, ms: number): void {
  const now = performance.now();
  for (const res of open as ReadonlySet<Stamped>) {
    const started = res[kStarted];
    if (started === undefined || now - started < ms) continue;
    res[kStarted] = undefined;
    onRequestTimeout(res.req, res, ms);
  }
}

function onRequestTimeout(req: IncomingMessage, res: ServerResponse, ms: number): void {
  // the app has answered (only the client is still reading), or the client has gone
  if (res.writableEnded || res.destroyed) return;
  const outcome = abortRequest(req, res, 503) === 'answered' ? 'answered 503' : 'cut off';
  // the path without its query, which may carry what does not belong in a log
  const path = (req.url ?? '').split('?', 1)[0];
  process.stderr.write(`tsgi: request timed out after ${ms}ms (request_timeout), ${outcome}: ${req.method} ${path}\n`);
}
