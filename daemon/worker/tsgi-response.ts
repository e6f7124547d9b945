/**
 * The worker's bookkeeping for each HTTP/1 response: the time its request reached the worker's
 * handler, one report when it has finished or was cut off (metrics, in-flight count), and
 * `Connection: close` when its head goes out during a drain.
 *
 * All of it without a `close` listener per response or a Map of open responses: an object key in
 * a Map or Set costs a ServerResponse about half a microsecond (V8 gives it an identity hash on
 * first use), more than everything else tsgi does per request (BENCHMARKS.md); and without a
 * ServerResponse subclass (its construction cost more than what it carried). HTTP/2 streams
 * (Http2ServerResponse) do not come through here; the worker keeps those the generic way.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { nowMs } from './clock.js';
import { requestClosed } from './request-metrics.js';

let draining = false;
type Closed = (res: http.ServerResponse) => void;
/** request_timeout's: its list of open responses is kept only while it is on */
let closed: Closed | undefined;

/** Called once per response the worker's handler took, when it is reported (after its metrics are counted). */
export function onResponseClosed(fn: Closed): void {
  closed = fn;
}

/** From now on every response whose head is not yet sent asks the client to close the connection. */
export function drainResponses(): void {
  draining = true;
}

/**
 * The response's one own property, a number (which marks it as one of the worker's server's):
 * -1 - nowMs() (clock.ts) from when the worker's request handler takes it (onRequest); nowMs()
 * for a response Node answers by itself (400 for HTTP/1.1 without Host, 417), from its head,
 * which closes without ever being in flight; NaN once reported. One property rather than two:
 * Express gives every response a prototype of its own, and V8 then copies each property onto its
 * new shape (BENCHMARKS.md). Set on Node's own ServerResponse, not in a subclass's constructor:
 * the derived class's construction cost more than the property (callgrind, BENCHMARKS.md).
 */
const STARTED = Symbol('tsgi.started');

interface Own {
  [STARTED]?: number | null;
}

/** The worker's server (appServer's): Node's own answers on its connections are counted too. */
let appServer: object | undefined;

/** Once, when the app's server is made. */
export function countResponsesOf(server: object): void {
  appServer = server;
}

/** True for a response the worker counts (taken by its handler, or Node's own answer on its server). */
export function isTsgiResponse(res: unknown): res is http.ServerResponse {
  // a connection between responses has `_httpMessage` null
  return res != null && typeof (res as Own)[STARTED] === 'number';
}

/**
 * The worker's request handler takes `res` (an HTTP/1 response: HTTP/2 streams are kept the
 * generic way): it is in flight from now until it is reported. Returns its start (nowMs()).
 */
export function takeResponse(res: http.ServerResponse): number {
  const now = nowMs();
  // null first, so that V8 keeps the field tagged instead of giving it an unboxed double: a
  // response with a double field is copied whole (a new property array, its ~44 fields, a new
  // box) each time its prototype changes, which Express does to every response
  // (setPrototypeOf(res, app.response)): ~12 000 instructions an Express request (callgrind, BENCHMARKS.md)
  (res as Own)[STARTED] = null;
  (res as Own)[STARTED] = -1 - now;
  inflight++;
  return now;
}

let inflight = 0;

/** HTTP/1 responses taken by the worker's handler and not yet reported. */
export function responsesInFlight(): number {
  return inflight;
}

let installed = false;

/**
 * Puts the worker's two hooks on http.ServerResponse.prototype itself, where every response's
 * prototype chain ends, Express's own included; they count the responses of the worker's server
 * alone (and drain any HTTP/1 response). Once per worker, before the app's server takes a connection; a library that
 * wraps these methods later (on-headers, APM agents) wraps them and still calls them.
 */
export function installResponseHooks(): void {
  if (installed) return;
  installed = true;
  const proto = http.ServerResponse.prototype;
  const writeHead = proto.writeHead as unknown as (this: http.ServerResponse, statusCode: number, reason?: unknown, headers?: unknown) => http.ServerResponse;
  const detachSocket = proto.detachSocket;
  // ServerResponse's own end() and flushHeaders() call this.writeHead() too (_implicitHeader), so
  // this sees every head. Three plain parameters, as Node's writeHead(statusCode, reason, obj) takes
  // (it tells the two forms apart by the type of the second): a rest array would be an allocation
  // per response.
  proto.writeHead = function tsgiWriteHead(this: http.ServerResponse, statusCode: number, reason?: unknown, headers?: unknown) {
    // Node's own answer (it never reached the handler): counted from its head, never in flight
    if (typeof (this as Own)[STARTED] !== 'number' && appServer !== undefined && (this.req as { socket?: { server?: unknown } | null } | undefined)?.socket?.server === appServer) (this as Own)[STARTED] = nowMs();
    if (draining && !this.headersSent) this.setHeader('Connection', 'close');
    return writeHead.call(this, statusCode, reason, headers);
  } as typeof proto.writeHead;
  // Node calls this once per response, when it has finished (resOnFinish), one tick before its
  // 'close': the moment to report it. Hooking here rather than in emit() spares every response four
  // calls through an override (prefinish, finish, close, socket) and their argument arrays. A
  // response cut off with its connection never gets here: connectionClosed() reports it.
  proto.detachSocket = function tsgiDetachSocket(this: http.ServerResponse, socket: Socket) {
    if (isTsgiResponse(this)) report(this);
    detachSocket.call(this, socket);
  };
}

/** Once, whichever of detachSocket() and connectionClosed() comes first. */
function report(res: http.ServerResponse): void {
  const self = res as Own;
  const v = self[STARTED]!;
  if (v !== v) return;
  self[STARTED] = Number.NaN;
  if (v < 0) {
    inflight--;
    requestClosed(res, -1 - v);
    if (closed !== undefined) closed(res);
  } else requestClosed(res, v);
}

/**
 * A connection of the app's server closed (the socket its HTTP/1 parser reads: the raw one, or the
 * TLS one over it). The response it was carrying, if any, did not finish first: report it now, as
 * its 'close' would have been. Node keeps a connection's current response as `_httpMessage`, from
 * assignSocket() until detachSocket() (lib/_http_server.js, Node 0.x to 24).
 */
export function connectionClosed(socket: Socket): void {
  const res = (socket as { _httpMessage?: unknown })._httpMessage;
  if (isTsgiResponse(res)) report(res);
}
