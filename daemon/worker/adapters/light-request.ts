/**
 * The `Request` a fetch-style app receives: `method` and `url` are strings worked out once,
 * `headers` a Headers built when first asked for, and undici's Request (with the body stream
 * and the abort signal) only when the app touches what only it has (`body`, `text()`,
 * `clone()`...), as @hono/node-server's request does. It is `instanceof Request` (its prototype
 * chain goes through undici's), and undici's own code finds its internal slots through getters
 * that build the real one, so `new Request(request)` and `fetch(request)` work.
 */
import type { ServerResponse } from 'node:http';
import type { MountedRequest } from './contract.js';
import { discardBody, incomingBody } from './incoming-body.js';
import { SCRIPT_NAME_HEADER, urlOf } from './fetch-request.js';

const GlobalRequest = globalThis.Request;

const kIncoming = Symbol('tsgi.request.incoming');
const kReal = Symbol('tsgi.request.real');
const kHeaders = Symbol('tsgi.request.headers');
const kAbort = Symbol('tsgi.request.abort');
const kAborted = Symbol('tsgi.request.aborted');
const kResponse = Symbol('tsgi.request.response');
/** on the ServerResponse, once its request has something to abort or discard */
const kWatched = Symbol('tsgi.request.watched');

type Watched = ServerResponse & { [kWatched]?: LightRequest };

type StreamingRequestInit = RequestInit & { duplex?: 'half' };

/**
 * The global `Request` in a worker serving a fetch-style app (fetch-globals.ts): undici's, except
 * that it unwraps a light request given as input (undici's constructor could not read one where
 * it keeps its slots in private fields), and `instanceof` holds for undici's Requests too.
 */
export class TsgiRequest extends GlobalRequest {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === TsgiRequest) return Function.prototype[Symbol.hasInstance].call(GlobalRequest, value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(unwrapRequest(input), init);
  }
}

/** undici's Request for a light one (built now if need be); anything else as it is. */
export function unwrapRequest<T>(value: T): T | Request {
  return isLightRequest(value) ? realOf(value) : value;
}

/**
 * Whether undici's own code (its Request constructor, fetch()) can take a light request as it
 * is: yes where undici keeps a Request's slots as symbol-keyed properties (forwarded below), no
 * where it keeps them in private fields (undici 7).
 */
export function undiciTakesLight(): boolean {
  const res = { on: () => res } as unknown as ServerResponse;
  const req = { url: '/', method: 'GET', headers: { host: 'localhost' }, rawHeaders: [], socket: {} } as unknown as MountedRequest;
  try {
    return new GlobalRequest(lightRequest(req, res)).url === 'http://localhost/';
  } catch {
    return false;
  }
}

class LightRequest {
  declare readonly method: string;
  declare readonly url: string;
  // declared, then assigned in the constructor: a class field is defined, which V8 (Node 20)
  // does through its runtime, far slower (tsgi-response.ts)
  declare [kIncoming]: MountedRequest;
  declare [kResponse]: Watched;
  declare [kHeaders]: Headers | undefined;
  declare [kReal]: Request | undefined;
  declare [kAbort]: AbortController | undefined;
  declare [kAborted]: boolean;

  constructor(req: MountedRequest, res: ServerResponse, url: string, method: string) {
    (this as { url: string }).url = url;
    (this as { method: string }).method = method;
    this[kIncoming] = req;
    this[kResponse] = res;
    this[kHeaders] = undefined;
    this[kReal] = undefined;
    this[kAbort] = undefined;
    this[kAborted] = false;
  }

  get headers(): Headers {
    return (this[kHeaders] ??= headersOf(this[kIncoming]));
  }

  get signal(): AbortSignal {
    let abort = this[kAbort];
    if (abort === undefined) {
      abort = this[kAbort] = new AbortController();
      if (this[kAborted]) abort.abort();
      else watch(this);
    }
    return abort.signal;
  }

  /** No undici Request yet means nobody has read the body. */
  get bodyUsed(): boolean {
    return this[kReal]?.bodyUsed ?? false;
  }
}

// url and method are own, plain data properties: the cheapest read there is, and the ones hot paths make
for (const name of ['url', 'method']) Object.defineProperty(LightRequest.prototype, name, { value: undefined, writable: true });

function isLightRequest(value: unknown): value is LightRequest {
  return typeof value === 'object' && value !== null && kIncoming in value;
}

/** undici's Request for `light`, built once, with the request's body streamed from the socket. */
function realOf(light: LightRequest): Request {
  let real = light[kReal];
  if (real === undefined) {
    const req = light[kIncoming];
    const method = light.method;
    const init: StreamingRequestInit = { method, headers: light.headers, signal: light.signal, body: null, duplex: 'half' };
    if (method !== 'GET' && method !== 'HEAD' && hasBody(req)) init.body = incomingBody(req);
    real = light[kReal] = new GlobalRequest(light.url, init);
    watch(light);
  }
  return real;
}

/**
 * A request whose signal or body the app has is told when its response closes: the client
 * left before the end (abort), or the answer went out before the body was read (discard the
 * rest, so the connection is not stuck behind it). One that only had its url, method and
 * headers read has nothing to tell: Node drains an unread body itself.
 */
function watch(light: LightRequest): void {
  const res = light[kResponse];
  if (res[kWatched] !== undefined) return;
  res[kWatched] = light;
  // 'close' comes once per response: on() spares once()'s wrapper
  res.on('close', onClose);
}

/** 'close' comes after 'finish' on success; before it, the client went away mid-request. */
function onClose(this: Watched): void {
  const light = this[kWatched]!;
  if (this.writableFinished) {
    const req = light[kIncoming];
    if (!req.complete) discardBody(req);
    return;
  }
  light[kAborted] = true;
  light[kAbort]?.abort();
}

/** Everything else a Request has (body, text(), clone(), cache, mode...) comes from undici's. */
for (const name of Object.getOwnPropertyNames(GlobalRequest.prototype)) {
  if (name === 'constructor' || Object.hasOwn(LightRequest.prototype, name)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(GlobalRequest.prototype, name)!;
  if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(LightRequest.prototype, name, {
      value: function (this: LightRequest, ...args: unknown[]) {
        return method.apply(realOf(this), args);
      },
      writable: true,
      configurable: true,
    });
  } else if (descriptor.get !== undefined) {
    const get = descriptor.get;
    Object.defineProperty(LightRequest.prototype, name, {
      get(this: LightRequest) {
        return get.call(realOf(this));
      },
      configurable: true,
    });
  }
}
// undici's internal slots where it keeps them as symbol-keyed properties (Node 20, 22): its
// constructor and fetch() read `input[kState]` and the like from a Request they are given.
for (const symbol of Object.getOwnPropertySymbols(new GlobalRequest('http://localhost/'))) {
  Object.defineProperty(LightRequest.prototype, symbol, {
    get(this: LightRequest) {
      return (realOf(this) as unknown as Record<symbol, unknown>)[symbol];
    },
    configurable: true,
  });
}
Object.defineProperty(LightRequest.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: LightRequest, depth: number, options: object, inspect: (value: unknown, options: object) => string) {
    return `Request ${inspect({ method: this.method, url: this.url, headers: this.headers }, { ...options, depth: depth - 1 })}`;
  },
});
Object.defineProperty(LightRequest.prototype, 'constructor', { value: TsgiRequest, writable: true, configurable: true });
Object.setPrototypeOf(LightRequest.prototype, TsgiRequest.prototype);

/**
 * The request a fetch handler receives for `req`. Throws a TypeError where undici's Request
 * would (a Host that moves the path, a URL that does not parse, a method fetch forbids): the caller answers 400.
 */
export function lightRequest(req: MountedRequest, res: ServerResponse): Request {
  return new LightRequest(req, res, urlOf(req), methodOf(req.method)) as unknown as Request;
}

/** The headers as undici's Request would have them; only tsgi may say where an app is mounted. */
function headersOf(req: MountedRequest): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  if (req.httpVersionMajor === 2) {
    // HTTP/2's pseudo-headers (`:method`, `:path`...) are not header fields: a Request refuses them
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) headers.append(raw[i]!, raw[i + 1]!);
  } else {
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  }
  if (req.scriptName !== undefined) headers.set(SCRIPT_NAME_HEADER, req.scriptName);
  else if (headers.has(SCRIPT_NAME_HEADER)) headers.delete(SCRIPT_NAME_HEADER);
  return headers;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** As undici normalises and refuses methods (fetch forbids CONNECT, TRACE and TRACK). */
function methodOf(method: string | undefined): string {
  switch (method) {
    case undefined:
      return 'GET';
    case 'GET':
    case 'HEAD':
    case 'POST':
    case 'PUT':
    case 'DELETE':
    case 'OPTIONS':
    case 'PATCH':
      return method;
  }
  if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const upper = method.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new TypeError(`'${method}' HTTP method is unsupported.`);
  // fetch upper-cases these six only: 'patch' stays 'patch'
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : method;
}

/** HTTP/1.1 framing: a request has a body only when it says so (RFC 9112 §6.3). */
function hasBody(req: MountedRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
