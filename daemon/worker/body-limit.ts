/**
 * limit_request_body. A Content-Length over the limit is refused before the app is called
 * (Node never delivers more than a Content-Length says). A body without one (chunked, or any
 * HTTP/2 body) is counted as Node pushes it into the request stream: the chunk that would take
 * it past the limit never reaches the app, and nothing after it does either, not even the end
 * of the body, so the app cannot take a cut body for a whole one. It sees the request aborted
 * instead, as when a client goes away mid-upload.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { abortRequest, refuseRequest } from './refuse.js';

const kResponse = Symbol('tsgi.bodyLimit.response');
const kSeen = Symbol('tsgi.bodyLimit.seen');
const kLimit = Symbol('tsgi.bodyLimit.limit');

type Counted = IncomingMessage & { [kResponse]: ServerResponse; [kSeen]: number; [kLimit]: number };

/** In the request path, with the limit on: true when the request was refused here. */
export function checkBody(req: IncomingMessage, res: ServerResponse, limit: number): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > limit && refuseRequest(req, res, 413);
  if (req.headers['transfer-encoding'] !== undefined || req.httpVersionMajor >= 2) {
    const counted = req as Counted;
    counted[kSeen] = 0;
    counted[kLimit] = limit;
    counted[kResponse] = res;
    // Node's parser (and the HTTP/2 compat layer) hand the body over through push()
    counted.push = countedPush;
  }
  return false;
}

function countedPush(this: Counted, chunk: Buffer | null, encoding?: BufferEncoding): boolean {
  // past the limit already: drop the rest, and keep reading so the client can finish sending
  if (this[kSeen] > this[kLimit]) return true;
  if (chunk !== null && (this[kSeen] += chunk.length) > this[kLimit]) {
    abortRequest(this, this[kResponse], 413);
    return true;
  }
  return (Object.getPrototypeOf(this) as Readable).push.call(this, chunk, encoding);
}
