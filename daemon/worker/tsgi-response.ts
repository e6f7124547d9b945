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

/** the global `performance` is a getter on globalThis; this spares the lookup */
const clock = performance;
let draining = false;
let closed: (res: TsgiResponse) => void = () => {};

/** Called once per response: when it has finished, or when its connection closed before it did. */
export function onResponseClosed(fn: (res: TsgiResponse) => void): void {
  closed = fn;
}

/** From now on every response whose head is not yet sent asks the client to close the connection. */
export function drainResponses(): void {
  draining = true;
}

/** Node's constructor takes the server's options (highWaterMark) as a second argument its types omit. */
const ServerResponse = http.ServerResponse as unknown as new (req: http.IncomingMessage, options?: object) => http.ServerResponse;
/** performance.now() when the request reached the worker (the response is made right then) */
const STARTED = Symbol('tsgi.started');
/** HANDLED | REPORTED; being a number marks a TsgiResponse, whatever its prototype has become since */
const STATE = Symbol('tsgi.state');
/**
 * Set by the worker when the request reaches its request handler: Node answers a few requests by
 * itself (400 for HTTP/1.1 without Host, 417), whose responses close without ever being in flight.
 */
const HANDLED = 1;
const REPORTED = 2;

interface Own {
  [STARTED]: number;
  [STATE]: number;
}

export class TsgiResponse extends ServerResponse {
  // types only (no class fields, below): what makes a TsgiResponse more than a ServerResponse to tsc
  declare private readonly [STARTED]: number;
  declare private readonly [STATE]: number;

  // Two own properties, assigned here (no class fields: a field initializer defines its property,
  // and in a tsgi worker V8 (Node 20) did that for every response through its runtime, ~40 000
  // instructions per request, BENCHMARKS.md). Few, because Express gives every response a
  // prototype of its own (Object.setPrototypeOf(res, app.response)) and V8 then copies each of the
  // object's properties onto its new shape. That new prototype would also skip methods of this
  // class, hence the hooks on ServerResponse.prototype: see installResponseHooks().
  constructor(req: http.IncomingMessage, options?: object) {
    super(req, options);
    const self = this as unknown as Own;
    self[STARTED] = clock.now();
    self[STATE] = 0;
  }
}

/** True for a response made as a TsgiResponse, even once an app has changed its prototype. */
export function isTsgiResponse(res: unknown): res is TsgiResponse {
  // a connection between responses has `_httpMessage` null
  return res != null && typeof (res as Partial<Own>)[STATE] === 'number';
}

export function startedAt(res: TsgiResponse): number {
  return (res as unknown as Own)[STARTED];
}

export function markHandled(res: TsgiResponse): void {
  (res as unknown as Own)[STATE] |= HANDLED;
}

export function wasHandled(res: TsgiResponse): boolean {
  return ((res as unknown as Own)[STATE] & HANDLED) !== 0;
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
  if ((self[STATE] & REPORTED) !== 0) return;
  self[STATE] |= REPORTED;
  closed(res);
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
