/**
 * The worker's HTTP/1 response class, handed to the server as its `ServerResponse`: each response
 * carries the time its request reached the worker, reports itself once when it has finished or was
 * cut off, and says `Connection: close` when its head goes out during a drain.
 *
 * This is the per-request bookkeeping that drain, in-flight counting and metrics need, without a
 * `close` listener per response or a Map of open responses: an object key in a Map or Set costs a
 * ServerResponse about half a microsecond (V8 gives it an identity hash on first use), more than
 * everything else tsgi does per request (BENCHMARKS.md). HTTP/2 streams (Http2ServerResponse) do
 * not come through here; the worker keeps those the generic way.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { nowMs } from './clock.js';
let draining = false;
type Closed = (res: TsgiResponse, started: number, handled: boolean) => void;
let closed: Closed = () => {};

/**
 * Called once per response: when it has finished, or when its connection closed before it did;
 * with when its request reached the worker, and whether the worker's request handler took it.
 */
export function onResponseClosed(fn: Closed): void {
  closed = fn;
}

/** From now on every response whose head is not yet sent asks the client to close the connection. */
export function drainResponses(): void {
  draining = true;
}

/** Node's constructor takes the server's options (highWaterMark) as a second argument its types omit. */
const ServerResponse = http.ServerResponse as unknown as new (req: http.IncomingMessage, options?: object) => http.ServerResponse;
/**
 * The response's one own property, a number (which marks a TsgiResponse, whatever its prototype
 * has become since): nowMs() (clock.ts) when the request reached the worker (the response is
 * made right then), as it is until the worker's request handler takes the request; -1 - that
 * once it has (Node answers a few requests by itself, 400 for HTTP/1.1 without Host, 417, whose
 * responses close without ever being in flight); NaN once reported. One property rather than
 * two: Express gives every response a prototype of its own, and V8 then copies each property
 * onto its new shape (BENCHMARKS.md).
 */
const STARTED = Symbol('tsgi.started');

interface Own {
  [STARTED]: number;
}

export class TsgiResponse extends ServerResponse {
  // types only (no class fields, below): what makes a TsgiResponse more than a ServerResponse to tsc
  declare private readonly [STARTED]: number;

  // One own property, assigned here (no class field: a field initializer defines its property,
  // and in a tsgi worker V8 (Node 20) did that for every response through its runtime, ~40 000
  // instructions per request, BENCHMARKS.md). That new prototype of Express's would also skip
  // methods of this class, hence the hooks on ServerResponse.prototype: see installResponseHooks().
  constructor(req: http.IncomingMessage, options?: object) {
    super(req, options);
    (this as unknown as Own)[STARTED] = nowMs();
  }
}

/** True for a response made as a TsgiResponse, even once an app has changed its prototype. */
export function isTsgiResponse(res: unknown): res is TsgiResponse {
  // a connection between responses has `_httpMessage` null
  return res != null && typeof (res as Partial<Own>)[STARTED] === 'number';
}

/** When its request reached the worker (until it is reported: then onResponseClosed's callback has it). */
export function startedAt(res: TsgiResponse): number {
  const v = (res as unknown as Own)[STARTED];
  return v < 0 ? -1 - v : v;
}

export function markHandled(res: TsgiResponse): void {
  const self = res as unknown as Own;
  if (self[STARTED] >= 0) self[STARTED] = -1 - self[STARTED];
}

let installed = false;

/**
 * Puts the worker's two hooks on http.ServerResponse.prototype itself, where every response's
 * prototype chain ends, Express's own included; they act on TsgiResponses alone (and drain any
 * HTTP/1 response). Once per worker, before the app's server takes a connection; a library that
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
function report(res: TsgiResponse): void {
  const self = res as unknown as Own;
  const v = self[STARTED];
  if (Number.isNaN(v)) return;
  self[STARTED] = Number.NaN;
  closed(res, v < 0 ? -1 - v : v, v < 0);
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
