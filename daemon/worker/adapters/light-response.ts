/**
 * The `Response` a fetch-style app builds in a tsgi worker (fetch-globals.ts installs it as the
 * global): one made from a whole body (a string, an ArrayBuffer, a Uint8Array, null) and a plain
 * init keeps them as they are, and the adapter writes them to the socket directly, as
 * @hono/node-server's Response does; undici's Response (a Headers object, a body stream, reading
 * the stream back) is built only if the app itself touches the body (`body`, `text()`, `clone()`...).
 * Anything else (a stream, a Blob, FormData) is an undici Response at once, wrapped. Same checks
 * as undici's constructor: what it would refuse is handed to it.
 */
const GlobalResponse = globalThis.Response;

export const kBody = Symbol('tsgi.response.body');
export const kStatus = Symbol('tsgi.response.status');
export const kStatusText = Symbol('tsgi.response.statusText');
/** [name, value, ...] from a plain-object init, names lower-cased; dropped once `headers` is asked for */
export const kFlat = Symbol('tsgi.response.flat');
export const kHeaders = Symbol('tsgi.response.headers');
const kReal = Symbol('tsgi.response.real');

type WholeBody = string | Uint8Array | null;

/** A light response as the adapter reads it (fetch-response.ts): none of it is undici's. */
export interface WholeResponse {
  readonly [kStatus]: number;
  readonly [kStatusText]: string;
  readonly [kBody]: WholeBody;
  /** set when the app asked for `headers` (and may have changed them), or gave a Headers */
  readonly [kHeaders]: Headers | undefined;
  /** else these, [name, value, ...] */
  readonly [kFlat]: readonly string[] | undefined;
}

// RFC 9110 token; reason-phrase (RFC 9112 §4); a header value both undici and Node take as it
// is (no control characters but tab, nothing above \xff, no whitespace at either end), so that
// writing a kept init never fails half-way
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;
const PLAIN_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
/** undici's type for a string body */
export const TEXT = 'text/plain;charset=UTF-8';

export class LightResponse {
  declare [kBody]: WholeBody;
  declare [kStatus]: number;
  declare [kStatusText]: string;
  declare [kFlat]: string[] | undefined;
  declare [kHeaders]: Headers | undefined;
  declare [kReal]: Response | undefined;

  /** `x instanceof Response` holds for undici's Responses too (and theirs for ours, by the prototype chain). */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === LightResponse) return Function.prototype[Symbol.hasInstance].call(GlobalResponse, value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** undici's `Response.json` builds an undici Response: without an init, ours is lighter. */
  static json(data: unknown, init?: ResponseInit): Response {
    if (init !== undefined) return GlobalResponse.json(data, init);
    const body = JSON.stringify(data) as string | undefined;
    if (body === undefined) throw new TypeError('Value is not JSON serializable');
    const response = new LightResponse(body) as unknown as LightResponse;
    response[kFlat] = ['content-type', 'application/json'];
    return response as unknown as Response;
  }

  // fields declared, then assigned: neither class fields nor private methods (V8 defines those
  // through its runtime for every instance, tsgi-response.ts)
  constructor(body?: BodyInit | null, init?: ResponseInit) {
    this[kBody] = null;
    this[kStatus] = 200;
    this[kStatusText] = '';
    this[kFlat] = undefined;
    this[kHeaders] = undefined;
    this[kReal] = undefined;
    const whole = wholeBody(body);
    if (whole === undefined || !takeInit(this, init, whole !== null)) {
      this[kHeaders] = undefined;
      this[kReal] = new GlobalResponse(body, init);
      return;
    }
    this[kBody] = whole;
    const headers = this[kHeaders] as Headers | undefined;
    if (headers !== undefined && typeof whole === 'string' && !headers.has('content-type')) headers.set('content-type', TEXT);
  }

  get status(): number {
    return this[kReal]?.status ?? this[kStatus];
  }

  get statusText(): string {
    return this[kReal]?.statusText ?? this[kStatusText];
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status < 300;
  }

  get headers(): Headers {
    const real = this[kReal];
    if (real !== undefined) return real.headers;
    let headers = this[kHeaders];
    if (headers === undefined) {
      headers = new Headers();
      const flat = this[kFlat];
      if (flat !== undefined) for (let i = 0; i < flat.length; i += 2) headers.append(flat[i]!, flat[i + 1]!);
      if (typeof this[kBody] === 'string' && !headers.has('content-type')) headers.set('content-type', TEXT);
      this[kFlat] = undefined;
      this[kHeaders] = headers;
    }
    return headers;
  }
}

/** Keeps `init` if undici would accept it as it is; false sends it to undici (to refuse or convert). */
function takeInit(self: LightResponse, init: ResponseInit | undefined, hasBody: boolean): boolean {
  if (init === undefined || init === null) return true;
  // another Response as init (Hono's `new Response(c.res.body, c.res)`) is read as undici reads
  // any init: its status, statusText and headers
  if (typeof init !== 'object') return false;
  const { status, statusText, headers } = init;
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return false;
    // a null-body status with a body: undici throws
    if (hasBody && (status === 204 || status === 205 || status === 304)) return false;
    self[kStatus] = status;
  }
  if (statusText !== undefined) {
    if (typeof statusText !== 'string' || !REASON.test(statusText)) return false;
    self[kStatusText] = statusText;
  }
  if (headers === undefined || headers === null) return true;
  // copied now, as undici does: changes to the init's Headers after this are not the response's
  if (headers instanceof Headers || Array.isArray(headers)) {
    self[kHeaders] = new Headers(headers);
    return true;
  }
  return typeof headers === 'object' && takeRecord(self, headers as Record<string, unknown>);
}

/** A plain record of string values with clean names and values, no name twice: kept as a flat list. */
function takeRecord(self: LightResponse, record: Record<string, unknown>): boolean {
  const flat: string[] = [];
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (typeof value !== 'string' || !TOKEN.test(name) || !PLAIN_VALUE.test(value)) return false;
    const lower = name.toLowerCase();
    // Headers would join 'A' and 'a' into one line: leave that to it
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === lower) return false;
    flat.push(lower, value);
  }
  self[kFlat] = flat;
  return true;
}

/** undici's Response for this one, built the first time the app reads what only undici has. */
function realOf(response: LightResponse): Response {
  let real = response[kReal];
  if (real === undefined) {
    const { status, statusText } = response;
    real = new GlobalResponse(response[kBody] as BodyInit | null, { status, statusText, headers: response.headers });
    response[kReal] = real;
  }
  return real;
}

for (const name of Object.getOwnPropertyNames(GlobalResponse.prototype)) {
  if (name === 'constructor' || Object.hasOwn(LightResponse.prototype, name)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(GlobalResponse.prototype, name)!;
  if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(LightResponse.prototype, name, {
      value: function (this: LightResponse, ...args: unknown[]) {
        return method.apply(realOf(this), args);
      },
      writable: true,
      configurable: true,
    });
  } else if (descriptor.get !== undefined) {
    const get = descriptor.get;
    Object.defineProperty(LightResponse.prototype, name, {
      get(this: LightResponse) {
        return get.call(realOf(this));
      },
      configurable: true,
    });
  }
}
Object.defineProperty(LightResponse.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: LightResponse, depth: number, options: object, inspect: (value: unknown, options: object) => string) {
    const view = this[kReal] ?? { status: this.status, statusText: this.statusText, headers: this.headers, body: this[kBody] };
    return `Response ${inspect(view, { ...options, depth: depth - 1 })}`;
  },
});
Object.setPrototypeOf(LightResponse, GlobalResponse);
Object.setPrototypeOf(LightResponse.prototype, GlobalResponse.prototype);

/** A body kept as it is; undefined for the kinds undici must handle (streams, Blobs, FormData...). */
function wholeBody(body: unknown): WholeBody | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

/**
 * The parts of `response` to write as they are, or undefined when it is (or has become) an
 * undici Response: built from something else, or its body already read by the app.
 */
export function wholeResponse(response: unknown): WholeResponse | undefined {
  if (typeof response !== 'object' || response === null || !(kReal in response)) return undefined;
  return (response as LightResponse)[kReal] === undefined ? (response as LightResponse) : undefined;
}

export { GlobalResponse };
