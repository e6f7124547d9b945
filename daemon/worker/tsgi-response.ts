/**
 * The worker's HTTP/1 response class, handed to the server as its `ServerResponse`: each response
 * carries the time its request reached the worker, reports its own close, and says
 * `Connection: close` when its head goes out during a drain.
 *
 * This is the per-request bookkeeping that drain, in-flight counting and metrics need, without a
 * `close` listener per response or a Map of open responses: an object key in a Map or Set costs a
 * ServerResponse about half a microsecond (V8 gives it an identity hash on first use), more than
 * everything else tsgi does per request (BENCHMARKS.md). HTTP/2 streams (Http2ServerResponse) do
 * not come through here; the worker keeps those the generic way.
 */
import http from 'node:http';

/** the global `performance` is a getter on globalThis; this spares the lookup */
const clock = performance;
let draining = false;
let closed: (res: TsgiResponse) => void = () => {};

/** Called once per response, when it closes (finished, or cut off with its connection). */
export function onResponseClosed(fn: (res: TsgiResponse) => void): void {
  closed = fn;
}

/** From now on every response whose head is not yet sent asks the client to close the connection. */
export function drainResponses(): void {
  draining = true;
}

/** Node's constructor takes the server's options (highWaterMark) as a second argument its types omit. */
const ServerResponse = http.ServerResponse as unknown as new (req: http.IncomingMessage, options?: object) => http.ServerResponse;

export class TsgiResponse extends ServerResponse {
  /** performance.now() when the request reached the worker (the response is made right then) */
  declare readonly started: number;
  /**
   * Set by the worker when the request reaches its request handler: Node answers a few requests by
   * itself (400 for HTTP/1.1 without Host, 417), whose responses close without ever being in flight.
   */
  declare handled: boolean;
  declare private reported: boolean;

  // No class fields here, on purpose: a field initializer defines its property ([[Define]], as
  // ES2022 class fields are), and in a tsgi worker V8 (Node 20) did that for every response through
  // its runtime, with map migrations: ~40 000 more instructions per request, nearly doubling what a
  // hello-world request costs (callgrind, BENCHMARKS.md). Plain assignments in the constructor go
  // through inline caches, and give every response one shape from birth.
  constructor(req: http.IncomingMessage, options?: object) {
    super(req, options);
    const self = this as unknown as { started: number; handled: boolean; reported: boolean };
    self.started = clock.now();
    self.handled = false;
    self.reported = false;
  }

  // ServerResponse's own end() and flushHeaders() call writeHead() too (_implicitHeader), so this
  // sees every head. Three plain parameters, as Node's writeHead(statusCode, reason, obj) takes
  // (it tells the two forms apart by the type of the second): a rest array would be an allocation per response.
  override writeHead(statusCode: number, reason?: unknown, headers?: unknown): this {
    if (draining && !this.headersSent) this.setHeader('Connection', 'close');
    return super.writeHead(statusCode, reason as string, headers as http.OutgoingHttpHeaders);
  }

  // Node emits 'close' once (emitCloseNT); the flag guards against an app that emits it again
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && !this.reported) {
      this.reported = true;
      closed(this);
    }
    return super.emit(event, ...args);
  }
}
