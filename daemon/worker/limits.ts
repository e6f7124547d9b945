/**
 * An app's HTTP input limits (gunicorn's limit_request_*, plus timeouts and a connection cap),
 * applied to the worker's server (http, https, or HTTP/2 with its HTTP/1.1 fallback).
 *
 * Node's own machinery is used where it has the exact meaning: `headersTimeout` (answered 408),
 * `keepAliveTimeout`, and `maxHeaderSize` as a ceiling for the whole request head (answered 431
 * by Node's default clientError handling, which also sends `Connection: close`). The rest is
 * checked in the request path by {@link requestGuard} before the app is called; with nothing
 * exceeded that is a few comparisons plus one pass over the header lengths. limit_request_body
 * (a look at two headers) and request_timeout (each open response kept in a Map for its sweep)
 * add per-request work only when on.
 */
import type http from 'node:http';
import type { WorkerLimits } from '../protocol.js';
import { checkBody } from './body-limit.js';
import { refuseRequest } from './refuse.js';
import { sweepRequestTimeouts } from './request-timeout.js';

/**
 * Node's maxHeaderSize counts the URL and every header name and value together. It must leave
 * room for a request line up to gunicorn's 8190 plus ordinary headers, so that an overlong line
 * reaches {@link requestGuard} and is answered 414; only a head past this cap becomes Node's 431.
 */
const HEAD_CAP = 64 * 1024;

/** Options for http.createServer and https.createServer; {@link applyLimits} sets them again on any server. */
export function serverOptions(limits: WorkerLimits) {
  return {
    maxHeaderSize: Math.max(HEAD_CAP, limits.requestLine + limits.requestFieldSize),
    headersTimeout: limits.headerTimeout,
    // Node's requestTimeout (the whole request received in time, else 408) is not a tsgi
    // setting; request_timeout, which bounds the response, is enforced here instead.
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAlive,
    // how often Node looks for connections past headersTimeout: a cut-off within a second of it
    connectionsCheckingInterval: limits.headerTimeout > 0 ? Math.max(100, Math.min(1000, Math.floor(limits.headerTimeout / 4))) : 1000,
  } satisfies http.ServerOptions;
}

/** Call right after http.createServer, before the app can add listeners and before any connection arrives. */
export function applyLimits(server: http.Server, limits: WorkerLimits): void {
  // Node reads each of these from the server when it needs it, so this also reaches the HTTP/1.1
  // connections of an HTTP/2 server (allowHTTP1), which takes none of them as options.
  Object.assign(server, serverOptions(limits));
  // Node keeps only the first maxHeadersCount fields in req.headers but every one in
  // req.rawHeaders, or at least this many when there are more, so one over the limit shows.
  server.maxHeadersCount = limits.requestFields + 1;
  trackConnections(server);
}

/**
 * Node checks headersTimeout, and closeIdleConnections() finds idle connections, through a
 * list of connections it starts when the server emits 'listening' (setupConnectionsTracking
 * in lib/_http_server.js, Node 18 to 24). A worker's server is handed its connections and never
 * listens, so without this neither works. A connection joins the list when its parser is set
 * up, counted from then even before its first byte.
 */
function trackConnections(server: http.Server): void {
  server.emit('listening');
}

/** True when the request was answered here, and the app must not be called. */
export type RequestGuard = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** `open`: the responses the worker has not yet seen close, with their start times (all of them while request_timeout is on), which request_timeout's sweep walks. */
export function requestGuard(limits: WorkerLimits, open: ReadonlyMap<http.ServerResponse, number>): RequestGuard {
  const line = limits.requestLine > 0 ? limits.requestLine : Infinity;
  const rawFields = limits.requestFields * 2;
  const fieldSize = limits.requestFieldSize > 0 ? limits.requestFieldSize : Infinity;
  const { requestBody, requestTimeout } = limits;
  const keepAlive = limits.keepAlive > 0;
  if (requestTimeout > 0) sweepRequestTimeouts(open, requestTimeout);
  return function guard(req, res) {
    // `GET /path HTTP/1.1`: method, URL, two spaces and the version; gunicorn counts it without CRLF
    if (req.method!.length + req.url!.length + 10 > line) return refuseRequest(req, res, 414);
    const raw = req.rawHeaders;
    if (raw.length > rawFields) return refuseRequest(req, res, 431);
    if (fieldSize !== Infinity) {
      // `Name: value` and CRLF, as gunicorn counts a header line (Node has trimmed the spaces around the value)
      for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length + raw[i + 1]!.length + 4 > fieldSize) return refuseRequest(req, res, 431);
    }
    if (requestBody > 0 && checkBody(req, res, requestBody)) return true;
    if (!keepAlive) res.shouldKeepAlive = false;
    return false;
  };
}
