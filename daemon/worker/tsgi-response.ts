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
const superWriteHead = http.ServerResponse.prototype.writeHead as unknown as (this: http.ServerResponse, statusCode: number, reason?: unknown, headers?: unknown) => http.ServerResponse;
const superDetachSocket = http.ServerResponse.prototype.detachSocket;
/** Marks a TsgiResponse whatever its prototype has become since (see the constructor). */
const BRAND = Symbol('tsgi.response');

interface Own {
  started: number;
  handled: boolean;
  reported: boolean;
  writeHead: typeof writeHead;
  detachSocket: typeof detachSocket;
  [BRAND]: true;
}

export class TsgiResponse extends ServerResponse {
  /** performance.now() when the request reached the worker (the response is made right then) */
  declare readonly started: number;
  /**
   * Set by the worker when the request reaches its request handler: Node answers a few requests by
   * itself (400 for HTTP/1.1 without Host, 417), whose responses close without ever being in flight.
   */
  declare handled: boolean;
  declare reported: boolean;

  // No class fields here, on purpose: a field initializer defines its property ([[Define]], as
  // ES2022 class fields are), and in a tsgi worker V8 (Node 20) did that for every response through
  // its runtime, with map migrations: ~40 000 more instructions per request, nearly doubling what a
  // hello-world request costs (callgrind, BENCHMARKS.md). Plain assignments in the constructor go
  // through inline caches, and give every response one shape from birth.
  constructor(req: http.IncomingMessage, options?: object) {
    super(req, options);
    const self = this as unknown as Own;
    self.started = clock.now();
    self.handled = false;
    self.reported = false;
    // The two hooks are the response's own properties, not methods of this class: Express (4 and 5)
    // gives every response its own prototype (Object.setPrototypeOf(res, app.response), a chain
    // that goes straight to ServerResponse.prototype), which would silently drop overrides made
    // here, and with them the response's report and its drain behaviour.
    self.writeHead = writeHead;
    self.detachSocket = detachSocket;
    self[BRAND] = true;
  }
}

/** True for a response made as a TsgiResponse, even once an app has changed its prototype. */
export function isTsgiResponse(res: unknown): res is TsgiResponse {
  // a connection between responses has `_httpMessage` null
  return res != null && (res as { [BRAND]?: true })[BRAND] === true;
}

// ServerResponse's own end() and flushHeaders() call this.writeHead() too (_implicitHeader), so this
// sees every head. Three plain parameters, as Node's writeHead(statusCode, reason, obj) takes (it
// tells the two forms apart by the type of the second): a rest array would be an allocation per response.
function writeHead(this: http.ServerResponse, statusCode: number, reason?: unknown, headers?: unknown): http.ServerResponse {
  if (draining && !this.headersSent) this.setHeader('Connection', 'close');
  return superWriteHead.call(this, statusCode, reason, headers);
}

/**
 * Node calls this once per response, when it has finished (resOnFinish), one tick before its
 * 'close': the moment to report it. Hooking here rather than in emit() spares every response four
 * calls through an override (prefinish, finish, close, socket) and their argument arrays. A
 * response cut off with its connection never gets here: {@link connectionClosed} reports it.
 */
function detachSocket(this: TsgiResponse, socket: Socket): void {
  report(this);
  superDetachSocket.call(this, socket);
}

/** Once, whichever of detachSocket() and connectionClosed() comes first. */
function report(res: TsgiResponse): void {
  if (res.reported) return;
  res.reported = true;
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
