/**
 * An app's HTTP input limits (gunicorn's limit_request_*, plus timeouts and a connection cap),
 * applied to the worker's server (http, https, or HTTP/2 with its HTTP/1.1 fallback).
 *
 * Node's own machinery is used where it has the exact meaning: `headersTimeout` (answered 408),
 * `keepAliveTimeout`, and `maxHeaderSize` as a ceiling for the whole request head (answered 431
 * by Node's default clientError handling, which also sends `Connection: close`). The rest is
 * checked in the request path by {@link requestGuard} before the app is called; with nothing
 * exceeded that is a few comparisons and one pass over the raw headers (their lengths, and whether
 * one may frame a body). A request with a body adds a counter per chunk (min_body_rate,
 * body-rate.ts); request_timeout (each open response kept in a Map for its sweep) adds
 * per-request work only when on. `Upgrade:` requests get the same checks ({@link upgradeGuard}).
 */
import type http from 'node:http';
import type { WorkerLimits } from '../protocol.js';
import type { Duplex } from 'node:stream';
import { checkBody } from './body-limit.js';
import { sweepBodyRates } from './body-rate.js';
import { isHttp2, refuseRequest, refuseSocket } from './refuse.js';
import { sweepRequestTimeouts, watchUpgrades } from './request-timeout.js';

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

/** True when the request was answered here (or its app call deferred, body-limit.ts), and the app must not be called. */
export type RequestGuard = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** Options for the HTTP/2 server: its own header caps set at the head cap, with room for the pseudo-headers, so the guard answers what is over the limits. */
export function http2Options(limits: WorkerLimits) {
  return {
    maxHeaderListPairs: Math.max(128, limits.requestFields + 8),
    settings: { maxHeaderListSize: serverOptions(limits).maxHeaderSize },
  };
}

/**
 * The status for a request head over a limit, or for a request gunicorn's parser also refuses; 0
 * when it is fine. For Upgrade requests: {@link requestGuard} makes the same checks inline.
 */
type HeadCheck = (req: http.IncomingMessage) => number;

function headCheck(limits: WorkerLimits): HeadCheck {
  const line = limits.requestLine > 0 ? limits.requestLine : Infinity;
  const rawFields = limits.requestFields * 2;
  const fieldSize = limits.requestFieldSize > 0 ? limits.requestFieldSize : Infinity;
  return function check(req) {
    const url = req.url!;
    // `GET /path HTTP/1.1`: method, URL, two spaces and the version; gunicorn counts it without CRLF
    if (req.method!.length + url.length + 10 > line) return 414;
    // origin-form is the rule; else absolute-form, or `*` for OPTIONS only (RFC 9112 §3.2)
    if (url.charCodeAt(0) !== 47 && (url === '*' ? req.method !== 'OPTIONS' : !ABSOLUTE.test(url))) return 400;
    // an HTTP/1 parser takes `HTTP/2.0` in a request line; only HTTP/2 itself is HTTP/2
    if (req.httpVersionMajor !== 1 && !isHttp2(req)) return 400;
    const raw = req.rawHeaders;
    if (raw.length > rawFields && fieldsIn(req) > limits.requestFields) return 431;
    if (fieldSize !== Infinity) {
      // `Name: value` and CRLF, as gunicorn counts a header line (Node has trimmed the spaces around the value)
      for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length + raw[i + 1]!.length + 4 > fieldSize) return 431;
    }
    return 0;
  };
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Header fields, HTTP/2's pseudo-headers (`:path`…) not counted, which HTTP/1 carries in its request line. */
function fieldsIn(req: http.IncomingMessage): number {
  const raw = req.rawHeaders;
  if (!isHttp2(req)) return raw.length / 2;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58) n++;
  return n;
}

/**
 * `open`: the responses the worker has not yet seen close, with their start times (all of them
 * while request_timeout is on), which request_timeout's sweep walks. `call` calls the app, for a
 * request whose call body-limit.ts defers.
 */
export function requestGuard(limits: WorkerLimits, open: ReadonlyMap<http.ServerResponse, number>, call: (req: http.IncomingMessage, res: http.ServerResponse) => void): RequestGuard {
  const line = limits.requestLine > 0 ? limits.requestLine : Infinity;
  const rawFields = limits.requestFields * 2;
  const fieldSize = limits.requestFieldSize > 0 ? limits.requestFieldSize : Infinity;
  const { requestTimeout } = limits;
  const keepAlive = limits.keepAlive > 0;
  if (requestTimeout > 0) sweepRequestTimeouts(open, requestTimeout);
  if (limits.minBodyRate > 0) sweepBodyRates(limits.minBodyRate, limits.bodyRateGrace);
  // headCheck's checks, with the look for a body's framing headers in its one pass over the raw
  // headers: a request without them (most) skips checkBody's two look-ups in req.headers
  return function guard(req, res) {
    const url = req.url!;
    const method = req.method!;
    if (method.length + url.length + 10 > line) return refuseRequest(req, res, 414);
    if (url.charCodeAt(0) !== 47 && (url === '*' ? method !== 'OPTIONS' : !ABSOLUTE.test(url))) return refuseRequest(req, res, 400);
    // an HTTP/2 stream goes to checkBody whatever its headers: its body is framed by the stream
    let framed = req.httpVersionMajor !== 1;
    if (framed && !isHttp2(req)) return refuseRequest(req, res, 400);
    const raw = req.rawHeaders;
    const n = raw.length;
    if (n > rawFields && fieldsIn(req) > limits.requestFields) return refuseRequest(req, res, 431);
    for (let i = 0; i < n; i += 2) {
      const name = raw[i]!;
      const length = name.length;
      if (length + raw[i + 1]!.length + 4 > fieldSize) return refuseRequest(req, res, 431);
      // Content-Length (14) or Transfer-Encoding (17), by length and first letter, either case
      if ((length === 14 && (name.charCodeAt(0) | 32) === 99) || (length === 17 && (name.charCodeAt(0) | 32) === 116)) framed = true;
    }
    if (framed && checkBody(req, res, limits, call)) return true;
    if (!keepAlive) res.shouldKeepAlive = false;
    return false;
  };
}

/**
 * The same limits for an `Upgrade:` request, which Node hands to the 'upgrade' listeners instead
 * of the request handler: the head checks, limit_request_body on its Content-Length, and
 * request_timeout for the app to answer it. True when it was refused here.
 */
export function upgradeGuard(limits: WorkerLimits): (req: http.IncomingMessage, socket: Duplex) => boolean {
  const head = headCheck(limits);
  const watch = limits.requestTimeout > 0 ? watchUpgrades(limits.requestTimeout) : undefined;
  return function guardUpgrade(req, socket) {
    let status = head(req);
    const length = req.headers['content-length'];
    if (status === 0 && limits.requestBody > 0 && length !== undefined && Number(length) > limits.requestBody) status = 413;
    if (status !== 0) {
      refuseSocket(socket, status);
      return true;
    }
    watch?.(req, socket);
    return false;
  };
}
