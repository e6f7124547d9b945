/**
 * IncomingMessage → WHATWG `Request`, for the fetch adapter. Runs on every request, so it
 * copies what a Request needs and nothing more: the body is streamed, never buffered.
 */
import type { TLSSocket } from 'node:tls';
import type { MountedRequest } from './contract.js';
import { incomingBody } from './incoming-body.js';

/** Request header carrying the mount prefix (WSGI's SCRIPT_NAME) to a mounted fetch app. */
export const SCRIPT_NAME_HEADER = 'x-tsgi-script-name';

// A Host with any of these would move the path the app sees away from the one tsgi routed on.
const UNSAFE_HOST = /[/?#@\\\s]/;

type StreamingRequestInit = RequestInit & { duplex?: 'half' };

/**
 * Builds the `Request` an app's `fetch(request)` receives. Throws a TypeError when the
 * request cannot be expressed as one (a bad Host, a method fetch forbids); the caller answers 400.
 */
export function toRequest(req: MountedRequest, signal: AbortSignal): Request {
  // First, so that a request refused for its Host never starts reading its body.
  const url = urlOf(req);
  const headers = new Headers();
  const raw = req.rawHeaders;
  if (req.httpVersionMajor === 2) appendHttp2Headers(headers, raw);
  else for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  // Only tsgi may say where an app is mounted: a client-sent value is replaced or dropped.
  if (req.scriptName !== undefined) headers.set(SCRIPT_NAME_HEADER, req.scriptName);
  else if (headers.has(SCRIPT_NAME_HEADER)) headers.delete(SCRIPT_NAME_HEADER);

  const method = req.method ?? 'GET';
  const init: StreamingRequestInit = { method, headers, signal, body: null, duplex: 'half' };
  if (method !== 'GET' && method !== 'HEAD' && hasBody(req)) {
    init.body = incomingBody(req);
  }
  return new Request(url, init);
}

/** HTTP/1.1 framing: a request has a body only when it says so (RFC 9112 §6.3). */
function hasBody(req: MountedRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** HTTP/2's pseudo-headers (`:method`, `:path`...) are not header fields: a Request refuses them. */
function appendHttp2Headers(headers: Headers, raw: readonly string[]): void {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) headers.append(raw[i]!, raw[i + 1]!);
}

function urlOf(req: MountedRequest): string {
  const target = req.url ?? '/';
  // Anything but origin-form ("/path?query") is absolute-form, already a URL, or unusable ("*").
  if (target.charCodeAt(0) !== 47 /* / */) return target;
  // HTTP/2 (node:http2's compatibility API) says :authority where HTTP/1.1 says Host.
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  if (host !== undefined && UNSAFE_HOST.test(host)) throw new TypeError(`invalid Host header: ${host}`);
  const scheme = (req.socket as TLSSocket).encrypted === true ? 'https://' : 'http://';
  return scheme + (host || 'localhost') + target;
}
