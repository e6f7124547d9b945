/**
 * request_timeout: a response that has not finished in time is answered 503 (its connection
 * cut, if the response had started) and logged; the app's own late writes then go nowhere and
 * the worker carries on. A timer per request, so it exists only when the setting is on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortRequest } from './refuse.js';

const kTimer = Symbol('tsgi.requestTimer');

type Timed = ServerResponse & { [kTimer]?: NodeJS.Timeout };

export function startRequestTimer(req: IncomingMessage, res: ServerResponse, ms: number): void {
  (res as Timed)[kTimer] = setTimeout(onRequestTimeout, ms, req, res, ms);
  // 'close' comes once, whether the response finished or the client left
  res.on('close', clearRequestTimer);
}

function clearRequestTimer(this: Timed): void {
  clearTimeout(this[kTimer]);
}

function onRequestTimeout(req: IncomingMessage, res: ServerResponse, ms: number): void {
  // the app has answered (only the client is still reading), or the client has gone
  if (res.writableEnded || res.destroyed) return;
  const outcome = abortRequest(req, res, 503) === 'answered' ? 'answered 503' : 'cut off';
  // the path without its query, which may carry what does not belong in a log
  const path = (req.url ?? '').split('?', 1)[0];
  process.stderr.write(`tsgi: request timed out after ${ms}ms (request_timeout), ${outcome}: ${req.method} ${path}\n`);
}
