/**
 * request_timeout: a response that has not finished in time is answered 503 (its connection
 * cut, or its HTTP/2 stream reset, if the response had started) and logged; the app's own late
 * writes then go nowhere and the worker carries on.
 *
 * No timer per request: while request_timeout is on, the worker keeps each open response with the
 * time it started (main.ts's `open`), and one sweep over them, every tenth of the limit (at most a
 * second), finds those past it. A response is cut off between the limit and the limit plus one
 * sweep interval.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { abortRequest, refuseSocket } from './refuse.js';
import { nowMs } from './clock.js';

/** Starts the sweep over `open`: the responses the worker has not yet seen close, and when each started (nowMs(), clock.ts). */
export function sweepRequestTimeouts(open: ReadonlyMap<ServerResponse, number>, ms: number): void {
  // responses already answered 503, which may stay open while the client reads; only ever added to here, past the limit
  const handled = new WeakSet<ServerResponse>();
  setInterval(sweep, Math.max(10, Math.min(1000, Math.floor(ms / 10))), open, ms, handled).unref();
}

function sweep(open: ReadonlyMap<ServerResponse, number>, ms: number, handled: WeakSet<ServerResponse>): void {
  const now = nowMs();
  for (const [res, started] of open) {
    if (now - started < ms || handled.has(res)) continue;
    handled.add(res);
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

/**
 * request_timeout for `Upgrade:` requests: the app has that long to answer one (write its first
 * byte on the socket, a 101 or a refusal); else it is answered 503 and closed, and logged. What
 * follows an answer is the upgraded protocol's, which no HTTP timeout bounds.
 */
export function watchUpgrades(ms: number): (req: IncomingMessage, socket: Duplex & { bytesWritten?: number }) => void {
  const pending = new Map<Duplex & { bytesWritten?: number }, { started: number; req: IncomingMessage }>();
  setInterval(sweepUpgrades, Math.max(10, Math.min(1000, Math.floor(ms / 10))), pending, ms).unref();
  return (req, socket) => pending.set(socket, { started: performance.now(), req });
}

function sweepUpgrades(pending: Map<Duplex & { bytesWritten?: number }, { started: number; req: IncomingMessage }>, ms: number): void {
  const now = performance.now();
  for (const [socket, { started, req }] of pending) {
    if (socket.destroyed || socket.writableEnded || (socket.bytesWritten ?? 0) > 0) pending.delete(socket);
    else if (now - started >= ms) {
      pending.delete(socket);
      refuseSocket(socket, 503);
      const path = (req.url ?? '').split('?', 1)[0];
      process.stderr.write(`tsgi: upgrade not answered after ${ms}ms (request_timeout), answered 503: ${req.method} ${path}\n`);
    }
  }
}
