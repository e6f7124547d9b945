/**
 * A request body in the request path: limit_request_body, min_body_rate's byte count (body-rate.ts)
 * and the trailers of a chunked body.
 *
 * A Content-Length over the limit is refused before the app is called (Node never delivers more
 * than a Content-Length says). A body without one (chunked, or any HTTP/2 body) is counted as Node
 * pushes it into the request stream: the chunk that would take it past the limit never reaches the
 * app, and nothing after it does either, not even the end of the body, so the app cannot take a
 * cut body for a whole one. It sees the request aborted instead, as when a client goes away
 * mid-upload.
 *
 * A chunked HTTP/1 request reaches the app one event-loop turn late (setImmediate: Node's parser
 * runs a callback, and the microtasks after it, for each part of what arrived): the rest of what
 * arrived with the head is parsed before that, so a body that is over the limit, or ends with trailers that
 * may not be trailers (Host, Content-Length…, RFC 9110 §6.5.1), all in the first packet, is
 * answered 413 or 400 without the app (gunicorn refuses those too). Later, it is aborted as above.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { isHttp2, refuseRequest } from './refuse.js';
import { kBody, receiving, rejectBody, type BodyState, type Counted } from './body-rate.js';

/** Fields a trailer may not carry: framing, routing, and how the content is to be read. */
const NOT_TRAILERS = new Set(['host', 'content-length', 'transfer-encoding', 'trailer', 'content-type', 'content-encoding', 'content-range', 'te', 'connection', 'expect', 'upgrade']);

export interface BodyLimits {
  /** limit_request_body, 0 for none */
  requestBody: number;
  /** min_body_rate, 0 for none */
  minBodyRate: number;
}

type Call = (req: IncomingMessage, res: ServerResponse) => void;

/** In the request path: true when the request was answered here, or its app call deferred; the caller must then not call the app. */
export function checkBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits, call: Call): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) {
    if (limits.requestBody > 0 && Number(length) > limits.requestBody) return refuseRequest(req, res, 413);
    if (limits.minBodyRate > 0 && length !== '0') count(req, res, Infinity, limits.minBodyRate);
    return false;
  }
  if (req.headers['transfer-encoding'] !== undefined) {
    // HTTP/1.0 has no chunked coding (RFC 9112 §6.1): the body's end cannot be known
    if (req.httpVersionMinor === 0 && !isHttp2(req)) return refuseRequest(req, res, 400);
    const state = count(req, res, limits.requestBody, limits.minBodyRate);
    state.deferred = true;
    setImmediate(callDeferred, req, res, state, call);
    return true;
  }
  if (isHttp2(req) && !(req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders) count(req, res, limits.requestBody, limits.minBodyRate);
  return false;
}

function callDeferred(req: IncomingMessage, res: ServerResponse, state: BodyState, call: Call): void {
  if (!state.deferred) return;
  state.deferred = false;
  call(req, res);
}

function count(req: IncomingMessage, res: ServerResponse, limit: number, rate: number): BodyState {
  const counted = req as Counted;
  const now = performance.now();
  const state = (counted[kBody] = { res, seen: 0, limit: limit > 0 ? limit : Infinity, start: now, checked: now, over: false, deferred: false });
  if (rate > 0) receiving.add(counted);
  // Node's parser (and the HTTP/2 compat layer) hand the body over through push()
  counted.push = countedPush;
  return state;
}

function countedPush(this: Counted, chunk: Buffer | null, encoding?: BufferEncoding): boolean {
  const state = this[kBody];
  // refused or cut already: drop the rest, and keep reading so the client can finish sending
  if (state.over) return true;
  if (chunk === null) {
    // Node sets the trailers just before it ends the body
    if (this.rawTrailers.length > 0 && badTrailer(this.rawTrailers)) {
      rejectBody(this, 400);
      return true;
    }
    state.over = true;
    receiving.delete(this);
  } else if ((state.seen += chunk.length) > state.limit) {
    rejectBody(this, 413);
    return true;
  }
  return (Object.getPrototypeOf(this) as Readable).push.call(this, chunk, encoding);
}

function badTrailer(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) if (NOT_TRAILERS.has(raw[i]!.toLowerCase())) return true;
  return false;
}
