/**
 * limit_request_body. A Content-Length over the limit is refused before the app is called
 * (Node's parser never delivers more than a Content-Length says). A chunked body is counted as
 * the parser hands it to the request stream: the chunk that would take it past the limit never
 * reaches the app, and nothing after it does either, not even the end of the body, so the app
 * cannot take a cut body for a whole one. It sees the connection close instead, as when a
 * client goes away mid-upload.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import { abortRequest, refuseRequest } from './refuse.js';

const kResponse = Symbol('tsgi.bodyLimit.response');
const kSeen = Symbol('tsgi.bodyLimit.seen');

type Counted = IncomingMessage & { [kResponse]?: ServerResponse; [kSeen]: number };

/**
 * The request class for a server with a body limit (http.createServer's `IncomingMessage`
 * option). Requests without a chunked body pay one property check per push.
 */
export function limitedIncomingMessage(limit: number): typeof IncomingMessage {
  return class LimitedIncomingMessage extends IncomingMessage {
    override push(chunk: Buffer | null, encoding?: BufferEncoding): boolean {
      const self = this as unknown as Counted;
      const res = self[kResponse];
      if (res !== undefined) {
        // past the limit already: drop the rest, and keep reading so the client can finish sending
        if (self[kSeen] > limit) return true;
        if (chunk !== null && (self[kSeen] += chunk.length) > limit) {
          abortRequest(this, res, 413);
          return true;
        }
      }
      return super.push(chunk, encoding);
    }
  };
}

/** In the request path, with the limit on: true when the request was refused here. */
export function checkBody(req: IncomingMessage, res: ServerResponse, limit: number): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > limit && refuseRequest(req, res, 413);
  if (req.headers['transfer-encoding'] !== undefined) {
    const counted = req as Counted;
    counted[kSeen] = 0;
    counted[kResponse] = res;
  }
  return false;
}
