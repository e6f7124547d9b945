/**
 * A request body as a WHATWG ReadableStream, pulled from the IncomingMessage with
 * backpressure. Not `Readable.toWeb(req)`: cancelling that destroys the request and with it
 * the socket, so an app that cancels `request.body` (or answers without reading it) would
 * lose its own response. Here cancelling discards the rest of the body, as Node itself does
 * for a body nobody reads, and the connection stays usable.
 *
 * The listeners are module-level functions that find their stream through `this` (the
 * request), so a body costs two small objects, not a set of closures.
 */
import type { IncomingMessage } from 'node:http';

const kController = Symbol('tsgi.body.controller');
type BodyRequest = IncomingMessage & { [kController]?: ReadableStreamDefaultController<Uint8Array> };

// Shared by every body: a strategy is only read when a stream is built.
const STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength };

/** The body of `req` as a stream; read it, cancel it, or leave it to {@link discardBody}. */
export function incomingBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(new IncomingSource(req), STRATEGY);
}

/**
 * Drops what is left of the body after the response was sent: the app's stream errors
 * (rather than ending as if complete) and the rest is read and thrown away, so the next
 * request on a keep-alive connection is not stuck behind it. No-op for a request without a stream.
 */
export function discardBody(req: IncomingMessage): void {
  const controller = (req as BodyRequest)[kController];
  if (controller === undefined) return;
  controller.error(new Error('request body discarded: the response was sent before it was read'));
  detach(req as BodyRequest);
}

// The streams spec calls an underlying source's methods with the source as `this`.
class IncomingSource implements UnderlyingDefaultSource<Uint8Array> {
  constructor(private readonly req: BodyRequest) {}

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const req = this.req;
    req[kController] = controller;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onError);
  }

  pull(): void {
    this.req.resume();
  }

  cancel(): void {
    detach(this.req);
  }
}

function onData(this: BodyRequest, chunk: Uint8Array): void {
  const controller = this[kController]!;
  controller.enqueue(chunk);
  if ((controller.desiredSize ?? 0) <= 0) this.pause();
}

function onEnd(this: BodyRequest): void {
  const controller = this[kController]!;
  detach(this);
  controller.close();
}

/** 'error', or 'close' before 'end': the client went away mid-body. */
function onError(this: BodyRequest, err?: Error): void {
  const controller = this[kController]!;
  detach(this);
  controller.error(err ?? new Error('the client closed the connection before the request body was complete'));
}

/** Stops feeding the stream and lets the rest of the body flow into nothing. */
function detach(req: BodyRequest): void {
  req.off('data', onData);
  req.off('end', onEnd);
  req.off('error', onError);
  req.off('close', onError);
  req[kController] = undefined;
  req.resume();
}
