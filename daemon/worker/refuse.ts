/**
 * How a worker turns away what a limit forbids: a short plain-text response with
 * `Connection: close`, then the connection goes. The app's handler is never called for it.
 * HTTP/2 has no `Connection` header and many requests share a connection: there only the
 * request's stream ends.
 *
 * The connection is half-closed rather than destroyed at once: a client that is still sending
 * (the rest of a body, a request on a refused connection) would otherwise get a reset, which
 * can discard the response before the client reads it. What it sends meanwhile is read and
 * dropped, for LINGER_MS at most.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants as h2, type Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a turned-away client may go on sending before its connection is destroyed. */
const LINGER_MS = 1000;

const bodies = new Map<number, string>();

function bodyFor(status: number): string {
  let body = bodies.get(status);
  if (body === undefined) bodies.set(status, (body = `${STATUS_CODES[status] ?? 'Error'}\n`));
  return body;
}

function rawResponse(status: number): string {
  const body = bodyFor(status);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * An HTTP/2 stream's request (the compat layer's Http2ServerRequest), not an HTTP/1 parser's
 * IncomingMessage, whatever version that one's request line claimed.
 */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor >= 2 && 'stream' in req;
}

/** A request the app has not seen, answered through its own response. Returns true, for `return refuseRequest(...)`. */
export function refuseRequest(req: IncomingMessage, res: ServerResponse, status: number): true {
  const body = bodyFor(status);
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length };
  const http1 = !isHttp2(req);
  res.writeHead(status, http1 ? { ...headers, Connection: 'close' } : headers);
  res.end(body);
  if (http1) lingerAtMost(req.socket);
  return true;
}

/**
 * A request the app already has (its time ran out, its body grew too large). The status goes
 * straight onto the socket and `res` is left alone: once the connection closes, what the app
 * still writes to it is dropped, as for a client that went away, where answering through
 * `res` would make the app's own later writeHead throw ERR_HTTP_HEADERS_SENT. A response
 * already started (or another one still on the wire before it) cannot be answered: the
 * connection is cut, so the client cannot take a truncated response for a whole one.
 */
export function abortRequest(req: IncomingMessage, res: ServerResponse, status: number): 'answered' | 'cut' {
  if (isHttp2(req)) {
    // The stream is reset, not answered: an HTTP/2 status sent here would make the app's own
    // later setHeader throw, and the socket belongs to the whole session.
    (res as unknown as Http2ServerResponse).stream.close(h2.NGHTTP2_CANCEL);
    return 'cut';
  }
  const socket = req.socket;
  if (res.headersSent || res.socket !== socket || !socket.writable) {
    socket.destroy();
    return 'cut';
  }
  socket.end(rawResponse(status));
  lingerAtMost(socket);
  return 'answered';
}

/**
 * A connection the worker will not serve (max_connections): answered 503 before a byte is read,
 * or under TLS closed without a byte (plain text in a TLS handshake would be a protocol error to
 * the client, and a handshake per refused connection is work a flood should not get).
 */
export function refuseConnection(socket: Socket, tls: boolean): void {
  socket.on('error', ignore);
  if (tls) socket.end();
  else socket.end(rawResponse(503));
  socket.resume();
  lingerAtMost(socket);
}

/** A request on a socket no response object serves (an Upgrade request): the status, then the connection goes. */
export function refuseSocket(socket: Duplex, status: number): void {
  socket.on('error', ignore);
  socket.end(rawResponse(status));
  lingerAtMost(socket);
}

function lingerAtMost(socket: Duplex): void {
  setTimeout(destroy, LINGER_MS, socket).unref();
}

function destroy(socket: Duplex): void {
  socket.destroy();
}

function ignore(): void {}
