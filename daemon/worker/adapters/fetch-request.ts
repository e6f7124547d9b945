/**
 * The absolute URL a fetch app's Request has, from an IncomingMessage: what undici's Request
 * would make of it (the WHATWG URL parser's normal form), without parsing the common case.
 */
import type { TLSSocket } from 'node:tls';
import type { MountedRequest } from './contract.js';

/** Request header carrying the mount prefix (WSGI's SCRIPT_NAME) to a mounted fetch app. */
export const SCRIPT_NAME_HEADER = 'x-tsgi-script-name';

// A Host with any of these would move the path the app sees away from the one tsgi routed on.
const UNSAFE_HOST = /[/?#@\\\s]/;
// Already in the parser's normal form: a lower-case host name whose last label is no number
// (the parser reads "1.2.3" or "0x7f.1" as IPv4) or a dotted quad, no punycode to check, a port
// with no leading zero that is not the scheme's default; a path of characters the parser leaves
// as they are (no %, no backslash, no ', nothing it percent-encodes) and no dot segments. Checked
// against `new Request(url).url` for every printable ASCII character (test/adapters-fetch-light.test.ts).
const PLAIN_HOST = /^[a-z0-9_-][a-z0-9._-]*(?::[1-9]\d{0,4})?$/;
const QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PLAIN_PATH = /^\/[!$&(-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)/;

/** Throws a TypeError for a target or Host that does not make a URL (the caller answers 400). */
export function urlOf(req: MountedRequest): string {
  const target = req.url ?? '/';
  // Anything but origin-form ("/path?query") is absolute-form, already a URL, or unusable ("*").
  if (target.charCodeAt(0) !== 47 /* / */) return new URL(target).href;
  // HTTP/2 (node:http2's compatibility API) says :authority where HTTP/1.1 says Host.
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  const encrypted = (req.socket as TLSSocket).encrypted === true;
  const url = (encrypted ? 'https://' : 'http://') + (host || 'localhost') + target;
  if (isPlainHost(host, encrypted)) {
    if (isPlainPath(target)) return url;
  } else if (UNSAFE_HOST.test(host)) {
    throw new TypeError(`invalid Host header: ${host}`);
  }
  return new URL(url).href;
}

/** PLAIN_PATH's characters after its `/`, by character code (made from it: the two cannot disagree) */
const PLAIN_CHAR = Uint8Array.from({ length: 128 }, (_, c) => (PLAIN_PATH.test(`/${String.fromCharCode(c)}`) ? 1 : 0));

/**
 * PLAIN_PATH.test(target) && !DOT_SEGMENT.test(target), by hand: in a profile of a fetch app
 * (bench/instructions.ts --app hono) the two tests ran through RegExp.prototype.test's generic builtin,
 * ~230 instructions each, more than this whole loop for a short path (callgrind, BENCHMARKS.md).
 */
function isPlainPath(target: string): boolean {
  const n = target.length;
  for (let i = 1; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c > 127 || PLAIN_CHAR[c] === 0) return false;
  }
  // a dot segment: `/.` or `/..`, then `/`, `?` or the end
  for (let i = target.indexOf('/.'); i !== -1; i = target.indexOf('/.', i + 1)) {
    let next = i + 2;
    if (target.charCodeAt(next) === 46) next++;
    if (next === n) return false;
    const c = target.charCodeAt(next);
    if (c === 47 || c === 63) return false;
  }
  return true;
}

// A worker sees the same Host on request after request: the last answer is kept.
let lastHost = '';
let lastEncrypted = false;
let lastPlain = false;

function isPlainHost(host: string, encrypted: boolean): boolean {
  if (host === lastHost && encrypted === lastEncrypted) return lastPlain;
  lastPlain = checkHost(host, encrypted);
  lastHost = host;
  lastEncrypted = encrypted;
  return lastPlain;
}

function checkHost(host: string, encrypted: boolean): boolean {
  if (!PLAIN_HOST.test(host)) return false;
  const colon = host.indexOf(':');
  const name = colon === -1 ? host : host.slice(0, colon);
  if (colon !== -1) {
    const port = Number(host.slice(colon + 1));
    if (port > 65535 || port === (encrypted ? 443 : 80)) return false;
  }
  // the last label (a trailing dot ends none): one that starts with a digit may be read as a number
  const first = name.charCodeAt(name.lastIndexOf('.', name.length - 2) + 1);
  if (first >= 48 && first <= 57) return QUAD.test(name);
  return !name.includes('xn--');
}
